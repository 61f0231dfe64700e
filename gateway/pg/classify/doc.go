// Package classify decides, from the real Postgres parse tree, what a piece of
// SQL text does: whether it writes, whether it is risky enough to need the
// resource's risky policy, and whether it must be refused whatever the policy.
//
// Every statement of a multi-statement string is parsed with pg_query (the
// Postgres parser itself) and its whole tree is walked; nothing is decided by
// matching the text. Before the parser runs, the text is bounded in length and
// in nesting depth, because libpg_query recurses on the C stack and crashes the
// process on very deep trees (a chain of about 30 000 "+" operators is enough).
//
// Verdicts are cached by the exact text and, when the verdict did not look at
// any constant, by the normalized text (constants replaced by $n), so that
// simple-protocol traffic with changing literals does not pay for a full parse.
package classify
