// Package deptest keeps the import arrows of DESIGN.md true: each package
// imports only the project packages below it, and only grants touches the
// generated sqlc code.
package deptest
