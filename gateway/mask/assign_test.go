package mask

import "testing"

func TestAssignments(t *testing.T) {
	t.Parallel()
	runMaskCases(t, []maskCase{
		{"query string", "https://x.io/cb?user=bob&password=hunter2&next=/", "https://x.io/cb?user=bob&password=****&next=/"},
		{"colon", "passwd: hunter2", "passwd: ****"},
		{"secret colon no space", "secret:abc", "secret:****"},
		{"token env", "GITHUB_TOKEN=abc123 make", "GITHUB_TOKEN=**** make"},
		{"api key dash", "X-Api-Key: 0123456789", "X-Api-Key: ****"},
		{"api_key", "api_key=xyz", "api_key=****"},
		{"json", `{"user":"bob","password": "p@ss w0rd","token":"t"}`, `{"user":"bob","password": "****","token":"****"}`},
		{"json single quotes", `{'client_secret': 'abc'}`, `{'client_secret': '****'}`},
		{"conn string", "host=db user=bob password=hunter2 sslmode=require", "host=db user=bob password=**** sslmode=require"},
		{"ado conn string", "Server=db;Pwd=hunter2;Database=x", "Server=db;Pwd=****;Database=x"},
		{"url", "postgres://bob:s3cr3t@db.internal:5432/app", "postgres://bob:****@db.internal:5432/app"},
		{"url with at in password", "redis://:p@ss@cache:6379", "redis://:****@cache:6379"},
		{"url with email host", "mysql://bob:hunter2@db.example.com/x", "mysql://bob:****@db.example.com/x"},
		{"url without password", "postgres://db.internal:5432/app", ""},
		{"sql create role", "CREATE ROLE bob LOGIN PASSWORD 'it''s secret';", "CREATE ROLE bob LOGIN PASSWORD '****';"},
		{"sql alter user", "alter user bob with encrypted password 'x'", "alter user bob with encrypted password '****'"},
		{"authorization bearer", "Authorization: Bearer abc.def.ghi", "Authorization: Bearer ****"},
		{"authorization basic", "authorization=Basic Ym9iOmh1bnRlcjI=", "authorization=Basic ****"},
		{"bearer alone", "curl -H 'X: bearer 0123456789abcdefXYZ'", "curl -H 'X: bearer ****'"},
		{"prose", "Please reset your password.", ""},
		{"prose question", "Forgot your password? Ask for a new token!", ""},
		{"prose no value", "password: ", ""},
		{"value on next line", "password:\nhunter2", ""},
		{"json null", `{"password": null}`, ""},
		{"empty quoted", `password=""`, ""},
		{"already masked", "password=****", ""},
		{"bearer short", "bearer bonds", ""},
	})
}
