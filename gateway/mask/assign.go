package mask

import "regexp"

// secretKey is the part of a key name that says its value is a secret:
// password, db_password, X-Api-Key, client_secret, access_token, ... It
// starts at the keyword, which may sit inside a longer name; each
// alternative starts with one of assignDetectors' keywords.
const secretKey = `(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)[a-z0-9_.-]*`

// keyName is what secretKey's [a-z0-9_.-]* consumes, ignoring case.
var keyName = alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")

// assignDetectors find secrets by what labels them rather than by their
// format; each keeps the label and masks the value.
func assignDetectors() []detector {
	keys := []string{
		"password", "passwd", "pwd", "passphrase", "secret", "token",
		"apikey", "api_key", "api-key", "accesskey", "access_key", "access-key",
		"privatekey", "private_key", "private-key", "credential",
	}
	return []detector{
		// key=value, key: value, "key": "value", key => 'value', ?key=value&.
		// The value stops at whitespace and at what ends a value in JSON,
		// query strings and connection strings.
		labelled("assignment",
			`(?i)`+secretKey+`["']?[ \t]*(?:=>|:=|=|:)[ \t]*(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s"'&;,<>(){}\[\]]+))`,
			anchored{groups: []int{1, 2, 3}, key: keyName}, keys...),
		// SQL: CREATE ROLE ... PASSWORD 'x', ALTER USER ... IDENTIFIED BY 'x'.
		labelled("sql_password",
			`(?i)(?:password|identified[ \t]+by)[ \t]+'((?:[^'\r\n]|'')*)'`,
			anchored{groups: []int{1}, boundary: true}, "password", "identified"),
		// scheme://user:password@host; a password may hold an unescaped @,
		// so the greedy class runs to the last one before the path.
		labelled("url_password",
			`://[^\s:/@?#]*:([^\s/?#]+)@`,
			anchored{groups: []int{1}}, "://"),
		labelled("authorization",
			`(?i)authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?([^\s"',;]+)`,
			anchored{groups: []int{1}, boundary: true}, "authorization"),
		labelled("bearer_token",
			`(?i)bearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)`,
			anchored{groups: []int{1}, boundary: true}, "bearer"),
		// Labelled AWS secret keys: 40 base64 characters, found by the label.
		labelled("aws_secret_key",
			`(?i)aws[_-]?secret[_-]?access[_-]?key[a-z0-9_.-]*["']?[ \t]*(?:=>|:=|=|:)[ \t]*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`,
			anchored{groups: []int{1}}, "aws_secret", "aws-secret", "awssecret"),
	}
}

// labelled completes p with re, anchored at the keywords, into a detector
// whose values become stars. An unquoted JSON literal is no secret.
func labelled(name, re string, p anchored, keywords ...string) detector {
	p.re = regexp.MustCompile(`^` + re)
	p.repl = stars
	p.skip = jsonLiteral
	return detector{name: name, keywords: keywords, find: p.find}
}
