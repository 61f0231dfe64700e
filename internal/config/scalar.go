package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strconv"
	"time"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	regexpType   = reflect.TypeFor[*regexp.Regexp]()
)

// setScalar stores the text of one value into v according to v's type. Its
// errors quote the value: string fields, the only ones that hold secrets,
// cannot fail here.
func setScalar(v reflect.Value, s string) error {
	switch {
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Type() == durationType:
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case v.Type() == regexpType:
		re, err := compileRegexp(s)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(re))
	case v.Kind() == reflect.Bool:
		b, err := parseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(int64(n))
	default:
		panic(fmt.Sprintf("config: no decoding for %s fields", v.Type()))
	}
	return nil
}

// parseDuration accepts Go's duration syntax and only positive lengths:
// every duration in the file is a limit, and a zero limit is written by
// leaving the key out.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (use Go form like 90s, 15m, 2h)", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be longer than zero", s)
	}
	return d, nil
}

// parseBool takes YAML 1.2's spellings only, so a "yes" or "maybe" is
// caught rather than read as something.
func parseBool(s string) (bool, error) {
	switch s {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

func compileRegexp(s string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(s)
	if err == nil {
		return re, nil
	}
	var syntaxErr *syntax.Error
	if errors.As(err, &syntaxErr) {
		return nil, fmt.Errorf("%q is not a Go regular expression: %s %q", s, syntaxErr.Code, syntaxErr.Expr)
	}
	return nil, fmt.Errorf("%q is not a Go regular expression", s)
}
