// Package classify decides, from the real Postgres parse tree, what a piece of
// SQL text does: whether it writes, whether it is risky enough to need the
// resource's risky policy, and whether it must be refused whatever the policy.
//
// Every statement of a multi-statement string is parsed with pg_query (the
// Postgres parser itself) and its whole tree is walked, generically, so node
// types not named here are still searched for calls, DML and statements; a
// statement type not known to be harmless is a risky write. Nothing is
// decided by matching the text.
//
// Refused: text that does not parse, is longer than Options.MaxLength, nests
// deeper than Options.MaxDepth, holds a NUL byte or invalid UTF-8; anything
// that changes how the server splits input into tokens (client_encoding
// other than UTF8, standard_conforming_strings other than on, by SET,
// set_config or UPDATE pg_settings); set_config of a setting that is not a
// constant; EXECUTE of a statement not known to be prepared.
//
// It also lists, as Verdict.Derived, the columns whose values may reach
// result columns the server names no table column for (expressions, set
// operations, functions in FROM), so column masking rules can follow them;
// see derived.go.
//
// The nesting bound is checked before the parser runs, because libpg_query
// recurses on the C stack when it hands the tree over and crashes the
// process on very deep trees. Brackets are not the only way to nest: a
// chain of about 30 000 "+" operators is enough. See depth.go.
//
// Verdicts are cached by the exact text and, when the verdict did not read
// any constant, by the normalized text (pg_query.Normalize: constants become
// $n), so that simple-protocol traffic with changing literals does not pay
// for a parse. A verdict that read a constant ("WHERE 1 = 1", the name given
// to set_config, the value of SET client_encoding) is cached by its exact
// text only. See Classifier.analysis.
package classify
