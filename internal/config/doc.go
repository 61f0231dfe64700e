// Package config loads and validates jitgate's YAML configuration.
//
// Parsing is strict on purpose: an unknown or misspelt key, a value of the
// wrong shape or a policy no reviewer list can satisfy is an error at start-up
// rather than a gateway that quietly runs with a default nobody chose. Every
// error is one line naming the key path, the bad value (never a secret's) and
// what to write instead, so `jitgate config check` can be read by an operator
// without reading this code.
//
// ${NAME} references are expanded inside scalar values after the YAML has been
// parsed, never in the raw text, so an environment value can never add keys,
// lists or documents to the configuration.
package config
