package mask

import "testing"

func TestTokens(t *testing.T) {
	t.Parallel()
	runMaskCases(t, []maskCase{
		{"aws key id", "id AKIAIOSFODNN7EXAMPLE.", "id AKIA****."},
		{"aws session key id", "ASIAY34FZKBOKMUTVV7A", "ASIA****"},
		{"aws key lowercase", "akiaiosfodnn7example", ""},
		{"aws key not base32", "AKIAIOSFODNN7EXAMPL8", ""},
		{"aws key too short", "AKIAIOSFODNN7EXAMP", ""},
		{"aws key inside word", "XAKIAIOSFODNN7EXAMPLE", ""},
		{"aws secret labelled", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ****"},
		{"aws secret env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "AWS_SECRET_ACCESS_KEY=****\n"},
		{"github classic", "token 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 done", "token ghp_**** done"},
		{"github oauth", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_****"},
		{"github server", "ghs_16C7e42F292c6912E7710c838347Ae178B4a", "ghs_****"},
		{"github short", "ghp_abc123", ""},
		{"github fine grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "github_pat_****"},
		{"gitlab", "glpat-Qz8xR2vT5nW1kY7mP3aB", "glpat-****"},
		{"gitlab short", "glpat-abc", ""},
		{"slack bot", "xoxb-2048823641-2048823642-Qz8xR2vT5nW1kY7mP3aB", "xoxb-****"},
		{"slack user", `"xoxp-2048823641-2048823642-Qz8xR2vT5nW1kY7mP3aB"`, `"xoxp-****"`},
		{"slack app", "xapp-1-A0123456789-Qz8xR2vT5nW1kY7mP3aB", "xapp-****"},
		{"slack short", "xoxb-123", ""},
		{"stripe live", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_****"},
		{"stripe test", "key: sk_test_4eC39HqLyjWDarjtT1zdp7dc", "key: sk_test_****"},
		{"stripe restricted", "rk_live_4eC39HqLyjWDarjtT1zdp7dc", "rk_live_****"},
		{"stripe short", "sk_live_abc", ""},
		{"google api key", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe,", "AIza****,"},
		{"google short", "AIzaSyDaGmWKa4", ""},
		{"jwt", "Bearer-less eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
			"Bearer-less eyJ**** end"},
		{"jwt two segments", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0", ""},
	})
}

func TestPEM(t *testing.T) {
	t.Parallel()
	const body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
	runMaskCases(t, []maskCase{
		{"rsa", "-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----\n",
			"-----BEGIN RSA PRIVATE KEY-----\n****\n-----END RSA PRIVATE KEY-----\n"},
		{"openssh in text", "key: -----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "-----END OPENSSH PRIVATE KEY----- ok",
			"key: -----BEGIN OPENSSH PRIVATE KEY-----\n****\n-----END OPENSSH PRIVATE KEY----- ok"},
		{"truncated", "-----BEGIN EC PRIVATE KEY-----\n" + body, "-----BEGIN EC PRIVATE KEY-----\n****\n"},
		{"two blocks", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----",
			"-----BEGIN PRIVATE KEY-----\n****\n-----END PRIVATE KEY-----\n-----BEGIN PRIVATE KEY-----\n****\n-----END PRIVATE KEY-----"},
		{"public key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----", ""},
		{"certificate", "-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END CERTIFICATE-----", ""},
	})
}
