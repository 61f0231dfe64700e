// Package mask finds secrets and personal data in values and free text and
// replaces them before they leave the gateway: in result rows, in session
// recordings and in messages posted to Slack.
//
// # What is detected
//
// Column rules: a column whose name matches one of the configured globs
// (path.Match syntax, case-insensitive) is masked whole; the gateway asks
// [Masker.Column] once per result set and writes [Masker.Whole] for it.
//
// Content detectors run on every value: AWS access key ids and labelled AWS
// secret keys, GitHub, GitLab, Slack, Stripe and Google API tokens, JWTs, PEM
// private key blocks, credential assignments (password=..., "token": "...",
// PASSWORD '...' in SQL, user:pass@ in URLs, Authorization and Bearer
// headers), payment card numbers (13-19 digits, known network prefix, Luhn
// checked) and email addresses. On top of these, the credential formats of
// gitleaks' default rule set are loaded (see gitleaks.go).
//
// # How a secret is replaced
//
// The replacement keeps the text useful to a reader and never reveals a
// secret character. Apart from card numbers, it has a fixed size, so the
// length of a secret is not shown either:
//
//   - known token formats keep their public prefix: ghp_****, AKIA****,
//     xoxb-****, sk_live_****, glpat-****, AIza****, eyJ****;
//   - assignments keep the key and quotes: password=****, "token": "****",
//     PASSWORD '****', postgres://user:****@host;
//   - PEM blocks keep their BEGIN and END lines, the body becomes ****;
//   - emails keep their domain: ***@example.com;
//   - card numbers keep their grouping and last four digits:
//     ****-****-****-1234, ************1234;
//   - gitleaks findings become **** (the rules know no public prefix);
//   - a column masked whole becomes ********.
//
// Replacements are built of '*', which no detector takes as a secret, so
// masking is idempotent: masking masked text changes nothing.
//
// Masking a value can change its type: a card number in a bigint column is no
// longer a number once masked, nor is an unquoted JSON number assigned to a
// secret key (JSON null, true and false are left alone). Callers run the
// content detectors on textual values only.
//
// # Why it is fast
//
// The gateway masks every column of every row, and almost every value is
// clean. One pass over the bytes, an Aho-Corasick automaton over the lowered
// bytes plus a digit-run counter, tells which detectors could match (one of
// their keywords appears, or 13 digits in a row); a value that triggers
// nothing is copied through with no allocation and no regular expression
// run. A triggered detector starts where its keywords are: formats are
// matched by hand, anchored expressions run at each keyword, and gitleaks'
// expressions run on a window around each keyword. Working memory is
// pooled, so a value with a secret costs at most the regular expression's
// own small allocation. A value in which only an '@' fired, the commonest
// finding, is masked in one pass with no working memory at all.
package mask
