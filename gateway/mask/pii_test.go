package mask

import "testing"

func TestEmails(t *testing.T) {
	t.Parallel()
	runMaskCases(t, []maskCase{
		{"plain", "john.doe@example.com", "***@example.com"},
		{"in text", "mail John.Doe+tag@mail.example.co.uk, then", "mail ***@mail.example.co.uk, then"},
		{"end of sentence", "write to a@b.io.", "write to ***@b.io."},
		{"two", "a@x.org;b@y.org", "***@x.org;***@y.org"},
		{"no dot domain", "root@localhost", ""},
		{"numeric tld", "bob@10.0.0.1", ""},
		{"no local part", "@example.com", ""},
		{"mention", "thanks @bob!", ""},
		{"one letter tld", "a@b.c", ""},
	})
}

func TestCards(t *testing.T) {
	t.Parallel()
	runMaskCases(t, []maskCase{
		{"visa plain", "4111111111111111", "************1111"},
		{"visa spaces", "card 4111 1111 1111 1111 exp", "card **** **** **** 1111 exp"},
		{"mastercard dashes", "5555-5555-5555-4444", "****-****-****-4444"},
		{"mastercard 2 series", "2223003122003222", "************3222"},
		{"amex grouped", "3782 822463 10005", "**** ****** *0005"},
		{"discover", "6011111111111117", "************1117"},
		{"jcb", "3530111333300000", "************0000"},
		{"diners 14", "30569309025904", "**********5904"},
		{"visa 13", "4222222222222", "*********2222"},
		{"after other number", "Order 12 4111 1111 1111 1111", "Order 12 **** **** **** 1111"},
		{"two cards", "4111111111111111,5555555555554444", "************1111,************4444"},
		{"luhn failure", "4111111111111112", ""},
		{"luhn failure grouped", "4111 1111 1111 1112", ""},
		{"unknown network", "1234567812345670", ""},
		{"epoch millis", "1700000000000", ""},
		{"too long", "41111111111111111111111", ""},
		{"inside word", "id4111111111111111", ""},
		{"decimal fraction", "0.4111111111111111", ""},
		{"mixed separators", "4111-1111 1111-1111", ""},
		{"double separator", "4111  1111  1111  1111", ""},
		{"timestamp", "2024-01-15 10:20:30.123456+00", ""},
		{"uuid", "550e8400-e29b-41d4-a716-446655440000", ""},
		{"phone", "+1 555-123-4567", ""},
	})
}
