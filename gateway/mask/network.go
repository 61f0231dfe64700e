package mask

// issuer is a card network's number prefix range and its number lengths.
type issuer struct {
	lo, hi         int // prefix range, inclusive, all of one width
	minLen, maxLen int
}

// issuers are the major card networks' IIN ranges.
var issuers = [...]issuer{
	{4, 4, 13, 19},           // Visa
	{51, 55, 16, 16},         // Mastercard
	{2221, 2720, 16, 16},     // Mastercard 2-series
	{34, 34, 15, 15},         // American Express
	{37, 37, 15, 15},         // American Express
	{6011, 6011, 16, 19},     // Discover
	{644, 649, 16, 19},       // Discover
	{65, 65, 16, 19},         // Discover
	{3528, 3589, 16, 19},     // JCB
	{300, 305, 14, 19},       // Diners Club
	{36, 36, 14, 19},         // Diners Club
	{38, 39, 14, 19},         // Diners Club
	{62, 62, 16, 19},         // UnionPay
	{5018, 5018, 12, 19},     // Maestro
	{5020, 5020, 12, 19},     // Maestro
	{5038, 5038, 12, 19},     // Maestro
	{6304, 6304, 12, 19},     // Maestro
	{6759, 6759, 12, 19},     // Maestro
	{676770, 676774, 12, 19}, // Maestro
}

// network reports whether the digits d have the prefix and length of a
// known card network.
func network(d []byte) bool {
	for _, is := range issuers {
		width := digitsOf(is.lo)
		if len(d) < is.minLen || len(d) > is.maxLen || len(d) < width {
			continue
		}
		p := 0
		for _, c := range d[:width] {
			p = p*10 + int(c-'0')
		}
		if is.lo <= p && p <= is.hi {
			return true
		}
	}
	return false
}

func digitsOf(n int) int {
	w := 1
	for ; n >= 10; n /= 10 {
		w++
	}
	return w
}
