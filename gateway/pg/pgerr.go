package pg

// SQLSTATEs the gateway answers with.
const (
	stateAuth         = "28000" // invalid_authorization_specification
	stateRefused      = "42501" // insufficient_privilege
	stateEnded        = "57P01" // admin_shutdown: the session ends
	stateProtocol     = "08P01" // protocol_violation
	stateUnavailable  = "57P03" // cannot_connect_now
	stateResources    = "53000" // insufficient_resources
	stateFeature      = "0A000" // feature_not_supported
	stateTooManyConns = "53300" // too_many_connections
)

// pgError is an ErrorResponse the gateway itself sends. Its text is shown
// to the user and never carries an internal error's text.
type pgError struct {
	severity string
	code     string
	message  string
	hint     string
}

func (e *pgError) Error() string { return e.message }

func refused(message, hint string) *pgError {
	return &pgError{severity: "ERROR", code: stateRefused, message: message, hint: hint}
}

func fatal(code, message, hint string) *pgError {
	return &pgError{severity: "FATAL", code: code, message: message, hint: hint}
}

// appendError encodes e as an ErrorResponse.
func appendError(dst []byte, e *pgError) []byte {
	dst, at := appendMsg(dst, 'E')
	field := func(t byte, v string) {
		if v != "" {
			dst = append(dst, t)
			dst = append(dst, v...)
			dst = append(dst, 0)
		}
	}
	field('S', e.severity)
	field('V', e.severity)
	field('C', e.code)
	field('M', e.message)
	field('H', e.hint)
	dst = append(dst, 0)
	return finishMsg(dst, at)
}
