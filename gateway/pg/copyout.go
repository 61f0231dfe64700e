package pg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/jitgate/jitgate/gateway/pg/classify"
)

// COPY ... TO STDOUT sends rows without a RowDescription: nothing in them
// says which table column each value is. With column rules set, the
// gateway learns the columns by describing the COPY's query in the user's
// own session, just before the COPY runs, so every name resolves exactly
// as the COPY's will (search_path, temporary tables, the transaction's own
// changes). Describing only parses: nothing runs, and the answer is kept
// from the client. The resulting plan waits in a copyDesc for the COPY's
// CopyOutResponse.

// copyDesc carries one COPY's description from the client half, which asks
// for it, to the backend half, which reads the answer and masks the rows.
type copyDesc struct {
	out classify.CopyOut
	// plan is set by the backend half when the description arrives; it
	// stays nil when the server could not describe the query.
	plan *copyPlan
	// derived: which columns the COPY's query may fill from masked ones.
	derived reach
}

// copyStmtName is the statement a COPY inside an extended-protocol group
// is described under; closed again right after. A simple Query uses the
// unnamed statement, which the Query itself replaces anyway.
const copyStmtName = classify.ReservedPrefix + "copy"

// copyTarget reads the COPY ... TO STDOUT of a statement, if it is one. It
// returns what to describe when column rules apply, or the refusal of a
// COPY whose rows could not be masked. Framing is checked with or without
// column rules: the detectors need the server's default escaping too.
func (s *session) copyTarget(sql string, v classify.Verdict) (*classify.CopyOut, *pgError) {
	if !slices.Contains(v.Kinds, "COPY") {
		return nil, nil
	}
	outs, err := s.srv.cfg.Classifier.CopyOuts(sql)
	if err != nil {
		s.log.Info("COPY refused: its rows cannot be masked with certainty", "err", err)
		return nil, copyRefusal(err)
	}
	if len(outs) == 0 {
		return nil, nil
	}
	for _, o := range outs {
		if o.Format == classify.CopyBinary {
			return nil, refused("binary COPY output cannot be masked, so jitgate does not allow it", "use COPY ... TO STDOUT in text or csv format")
		}
	}
	switch {
	case s.cat == nil:
		return nil, nil
	case len(v.Kinds) > 1:
		// Statements before it could change what its names resolve to.
		return nil, refused("with column masking rules set, jitgate runs COPY ... TO STDOUT only as a statement of its own, so it can tell which columns it sends",
			"send the COPY by itself, or use SELECT")
	}
	return &outs[0], nil
}

// copyHint says what framing jitgate passes.
const copyHint = "leave DELIMITER, QUOTE and ESCAPE at their defaults (text: tab; csv: ',' and '\"'), or use SELECT"

// copyRefusal is the refusal of a COPY that CopyOuts could not accept. It
// names the option at fault when there is one.
func copyRefusal(err error) *pgError {
	var oe *classify.CopyOptionError
	if errors.As(err, &oe) {
		return refused(fmt.Sprintf("jitgate does not allow COPY ... TO STDOUT with this %s option: the rows could pass unmasked", oe.Option), copyHint)
	}
	return refused("jitgate cannot read this COPY ... TO STDOUT with certainty, so it cannot mask its rows", copyHint)
}

// describeCopyAlone asks for the columns of a simple Query's COPY, in a
// group of the gateway's own ended by its own Sync: nothing of it reaches
// the client, not even an error (the COPY then fails the same way and
// says so itself).
func (s *session) describeCopyAlone(out *classify.CopyOut, derived reach) *copyDesc {
	d := &copyDesc{out: *out, derived: derived}
	s.q.push(expectation{kind: expParse, swallow: true, quiet: true})
	s.q.push(expectation{kind: expDescribeStatement, swallow: true, quiet: true, copy: d})
	s.q.push(expectation{kind: expSync, swallow: true})
	s.uw, _ = (&pgproto3.Parse{Query: out.Query}).Encode(s.uw)
	s.uw, _ = (&pgproto3.Describe{ObjectType: 'S'}).Encode(s.uw)
	s.uw = append(s.uw, syncMsg...)
	s.groupsSent++
	return d
}

// describeCopyInGroup asks for the columns of a COPY about to be executed
// in an extended-protocol group. If the server fails the description, it
// skips the rest of the group, the COPY too, and the client is shown why.
func (s *session) describeCopyInGroup(out *classify.CopyOut, derived reach) *copyDesc {
	d := &copyDesc{out: *out, derived: derived}
	s.q.push(expectation{kind: expParse, swallow: true})
	s.q.push(expectation{kind: expDescribeStatement, swallow: true, copy: d})
	s.q.push(expectation{kind: expClose, swallow: true})
	s.uw, _ = (&pgproto3.Parse{Name: copyStmtName, Query: out.Query}).Encode(s.uw)
	s.uw, _ = (&pgproto3.Describe{ObjectType: 'S', Name: copyStmtName}).Encode(s.uw)
	s.uw, _ = (&pgproto3.Close{ObjectType: 'S', Name: copyStmtName}).Encode(s.uw)
	return d
}

// copyPlanOf builds a COPY's plan from the description of its query.
func (s *session) copyPlanOf(d *copyDesc, fields []field) *copyPlan {
	var src []colSource
	if s.cat != nil {
		src, _ = s.cat.sources(fields)
	}
	return newCopyPlan(s.srv.cfg.Masker, d.out, fields, src, d.derived)
}

// onCopyOut starts COPY output. With column rules, it takes the plan of
// the COPY that is running, and checks that it has as many columns as the
// server says it sends: rows the gateway cannot split by column are never
// passed.
func (s *session) onCopyOut(msg []byte) error {
	b := body(msg)
	if len(b) < 3 {
		return fatal(stateProtocol, "jitgate could not read the start of a COPY and closed the session", "")
	}
	if b[0] == 1 {
		return fatal(stateFeature, "binary COPY output cannot be masked, so jitgate does not allow it", "use COPY ... TO STDOUT in text or csv format")
	}
	s.copyOut, s.copyPlan = true, nil
	if s.cat != nil {
		e, _ := s.q.peek()
		n := int(binary.BigEndian.Uint16(b[1:3]))
		if e.copy != nil && e.copy.plan != nil && e.copy.plan.blind {
			// Rather than close the session over a count it could not
			// know (the catalog is down), mask every column.
			e.copy.plan = e.copy.plan.blinded(n)
		}
		if e.copy == nil || e.copy.plan == nil || len(e.copy.plan.cols) != n {
			return fatal(stateProtocol, "jitgate could not tell which columns this COPY sends, so it closed the session rather than send them unmasked", "send the COPY by itself, or use SELECT")
		}
		s.copyPlan = e.copy.plan
	}
	s.cw = append(s.cw, msg...)
	return nil
}

// maskCopyData masks one row of COPY TO STDOUT output: the columns under a
// rule by the plan, then the detectors over the whole row, as in any value.
func (s *session) maskCopyData(dst, msg []byte) ([]byte, error) {
	data, orig := body(msg), true
	if p := s.copyPlan; p != nil && p.whole {
		if p.headerDue {
			p.headerDue = false
		} else {
			var err error
			if s.copyRow, err = p.mask(s.copyRow[:0], data); err != nil {
				return nil, err
			}
			data, orig = s.copyRow, false
		}
	}
	start := len(dst)
	dst, at := appendMsg(dst, 'd')
	dst, did := s.srv.cfg.Masker.Append(dst, data)
	if !did && orig {
		return append(dst[:start], msg...), nil
	}
	return finishMsg(dst, at), nil
}
