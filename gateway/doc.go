// Package gateway holds what every protocol proxy of jitgate shares: client
// token authentication, the session registry that closes sessions when their
// grant ends, the recorder, masking, and the decision for a command. The
// protocols themselves live in gateway/pg and gateway/ssh.
//
// It lands with the Postgres gateway issue.
package gateway
