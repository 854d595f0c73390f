package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Why not encoding/json: a log file is {"Records":[…]} with records of
// 1–2 KB, and xacct reads millions of them. json.Decoder streaming over
// "Records" decodes about 60 MB/s here (reflection and a byte-at-a-time
// state machine), which puts a million events well over the 10 s goal on
// two cores. So a log file is read in two passes that do only what is
// needed: recordSplitter carves each record out of the decompressed stream
// (one record in memory at a time, whatever the file's size), and
// parseRecord picks the fields xacct uses out of that record. The tests
// hold both to encoding/json on the same input.

// recordSplitter yields the elements of the "Records" array of a log file
// read from r, one at a time.
type recordSplitter struct {
	r   io.Reader
	buf []byte
	// buf[pos:end] is read and not yet consumed.
	pos, end int
	eof      bool
	started  bool
	done     bool
}

func newRecordSplitter(r io.Reader, buf []byte) *recordSplitter {
	if cap(buf) < 64<<10 {
		buf = make([]byte, 64<<10)
	}
	return &recordSplitter{r: r, buf: buf[:cap(buf)]}
}

var errNoRecords = errors.New(`not a CloudTrail log file: no "Records" array`)

// fill reads more input, keeping buf[pos:end]; it grows buf when a
// record does not fit (a record is at most a few hundred KB).
func (s *recordSplitter) fill() error {
	if s.eof {
		return io.ErrUnexpectedEOF
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= 64<<20 {
			return errors.New("a record larger than 64 MB")
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if err == io.EOF {
		s.eof = true
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		return nil
	}
	return err
}

// skipSpace moves pos past white space, reading as needed.
func (s *recordSplitter) skipSpace() error {
	for {
		for s.pos < s.end {
			switch s.buf[s.pos] {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return nil
			}
		}
		if err := s.fill(); err != nil {
			return err
		}
	}
}

// value returns the bytes of the JSON value at pos (a string, object,
// array or literal), valid until the next call.
func (s *recordSplitter) value() ([]byte, error) {
	if err := s.skipSpace(); err != nil {
		return nil, err
	}
	start := s.pos
	i := s.pos
	depth, inStr := 0, false
	for {
		for ; i < s.end; i++ {
			if inStr {
				q := closingQuote(s.buf[:s.end], i)
				if q < 0 {
					i = s.end
					break
				}
				i, inStr = q, false
				if depth == 0 {
					i++
					goto done
				}
				continue
			}
			c := s.buf[i]
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				if depth == 0 {
					// The end of the enclosing value, after a literal.
					goto done
				}
				depth--
				if depth == 0 {
					i++
					goto done
				}
			case ',', ' ', '\t', '\n', '\r', ':':
				if depth == 0 {
					goto done
				}
			}
		}
		off := i - start
		s.pos = start
		if err := s.fill(); err != nil {
			if s.eof && depth == 0 && !inStr && i > start {
				// A literal at the very end of the input.
				i = s.end
				start = s.pos
				goto done
			}
			return nil, err
		}
		start = s.pos
		i = start + off
	}
done:
	if i > s.end {
		return nil, io.ErrUnexpectedEOF
	}
	s.pos = i
	return s.buf[start:i], nil
}

// expect consumes the byte c after white space.
func (s *recordSplitter) expect(c byte) error {
	if err := s.skipSpace(); err != nil {
		return err
	}
	if s.buf[s.pos] != c {
		return fmt.Errorf("expected %q, found %q", c, s.buf[s.pos])
	}
	s.pos++
	return nil
}

// peek returns the next byte after white space.
func (s *recordSplitter) peek() (byte, error) {
	if err := s.skipSpace(); err != nil {
		return 0, err
	}
	return s.buf[s.pos], nil
}

// start moves to the first record: past `{`, any other keys, `"Records":[`.
func (s *recordSplitter) start() error {
	if err := s.expect('{'); err != nil {
		return err
	}
	for {
		c, err := s.peek()
		if err != nil {
			return err
		}
		if c == '}' {
			return errNoRecords
		}
		if c == ',' {
			s.pos++
			continue
		}
		k, err := s.value()
		if err != nil {
			return err
		}
		// k is only good until the next read.
		isRecords := string(k) == `"Records"`
		if err := s.expect(':'); err != nil {
			return err
		}
		if isRecords {
			if c, err := s.peek(); err != nil {
				return err
			} else if c == 'n' { // "Records": null
				_, err := s.value()
				s.done = true
				return err
			}
			return s.expect('[')
		}
		if _, err := s.value(); err != nil {
			return err
		}
	}
}

// next returns the next record's bytes (valid until the next call), or
// io.EOF after the last one.
func (s *recordSplitter) next() ([]byte, error) {
	if s.done {
		return nil, io.EOF
	}
	if !s.started {
		s.started = true
		if err := s.start(); err != nil {
			return nil, err
		}
		if s.done {
			return nil, io.EOF
		}
	}
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	if c == ',' {
		s.pos++
		if c, err = s.peek(); err != nil {
			return nil, err
		}
	}
	if c == ']' {
		s.pos++
		s.done = true
		return nil, io.EOF
	}
	if c != '{' {
		return nil, fmt.Errorf("a record is not an object (found %q)", c)
	}
	return s.value()
}

// lexer reads fields out of one record's bytes.
type lexer struct {
	b   []byte
	i   int
	err error
}

func (l *lexer) fail(format string, a ...any) {
	if l.err == nil {
		l.err = fmt.Errorf("offset %d: "+format, append([]any{l.i}, a...)...)
	}
	l.i = len(l.b)
}

func (l *lexer) ws() {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

// object calls f with each key of the object at i (raw, unescaped only if
// it holds no escape); f must consume the value.
func (l *lexer) object(f func(key []byte)) {
	l.ws()
	if l.i >= len(l.b) || l.b[l.i] != '{' {
		l.fail("expected an object")
		return
	}
	l.i++
	l.ws()
	if l.i < len(l.b) && l.b[l.i] == '}' {
		l.i++
		return
	}
	for l.err == nil {
		l.ws()
		k := l.rawString()
		l.ws()
		if l.i >= len(l.b) || l.b[l.i] != ':' {
			l.fail("expected ':'")
			return
		}
		l.i++
		l.ws()
		f(k)
		l.ws()
		if l.i >= len(l.b) {
			l.fail("unterminated object")
			return
		}
		switch l.b[l.i] {
		case ',':
			l.i++
		case '}':
			l.i++
			return
		default:
			l.fail("expected ',' or '}'")
		}
	}
}

// rawString returns a string's bytes between the quotes, escapes left as
// they are (keys; compared with plain names).
func (l *lexer) rawString() []byte {
	if l.i >= len(l.b) || l.b[l.i] != '"' {
		l.fail("expected a string")
		return nil
	}
	start := l.i + 1
	q := closingQuote(l.b, start)
	if q < 0 {
		l.fail("unterminated string")
		return nil
	}
	l.i = q + 1
	return l.b[start:q]
}

// closingQuote returns the index of the quote that ends the string whose
// content starts at or before from (b[from:] is inside it), or -1. It
// jumps from quote to quote (IndexByte is vectorised) and tells an escaped
// quote by the run of backslashes before it, which stops at the opening
// quote at the latest.
func closingQuote(b []byte, from int) int {
	for {
		j := bytes.IndexByte(b[from:], '"')
		if j < 0 {
			return -1
		}
		q := from + j
		n := 0
		for k := q - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		from = q + 1
	}
}

// str reads a string value (null reads as ""); other values are skipped
// and read as "".
func (l *lexer) str() string {
	l.ws()
	if l.i < len(l.b) && l.b[l.i] != '"' {
		l.skip()
		return ""
	}
	raw := l.rawString()
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	return unescape(raw)
}

// boolean reads true, false or the strings "true"/"false" (older records).
func (l *lexer) boolean() bool {
	l.ws()
	if l.i < len(l.b) && l.b[l.i] == '"' {
		return l.str() == "true"
	}
	v := l.skip()
	return string(v) == "true"
}

// skip moves past one value and returns its bytes.
func (l *lexer) skip() []byte {
	l.ws()
	start := l.i
	depth, inStr := 0, false
	for j := l.i; j < len(l.b); j++ {
		if inStr {
			q := closingQuote(l.b, j)
			if q < 0 {
				break
			}
			j, inStr = q, false
			if depth == 0 {
				l.i = j + 1
				return l.b[start:l.i]
			}
			continue
		}
		c := l.b[j]
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				l.i = j
				return l.b[start:j]
			}
			depth--
			if depth == 0 {
				l.i = j + 1
				return l.b[start:l.i]
			}
		case ',':
			if depth == 0 {
				l.i = j
				return l.b[start:j]
			}
		}
	}
	if depth > 0 || inStr {
		l.fail("unterminated value")
		return nil
	}
	l.i = len(l.b)
	return bytes.TrimSpace(l.b[start:])
}

// array calls f for each element of the array at i.
func (l *lexer) array(f func()) {
	l.ws()
	if l.i < len(l.b) && l.b[l.i] == 'n' {
		l.skip()
		return
	}
	if l.i >= len(l.b) || l.b[l.i] != '[' {
		l.fail("expected an array")
		return
	}
	l.i++
	l.ws()
	if l.i < len(l.b) && l.b[l.i] == ']' {
		l.i++
		return
	}
	for l.err == nil {
		f()
		l.ws()
		if l.i >= len(l.b) {
			l.fail("unterminated array")
			return
		}
		switch l.b[l.i] {
		case ',':
			l.i++
		case ']':
			l.i++
			return
		default:
			l.fail("expected ',' or ']'")
		}
	}
}

// isObject says whether the value at i is an object (not null).
func (l *lexer) isObject() bool {
	l.ws()
	return l.i < len(l.b) && l.b[l.i] == '{'
}

// unescape decodes a JSON string's escapes (raw is between the quotes).
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			if i+4 >= len(raw) {
				return string(out)
			}
			r := hex4(raw[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2 := hex4(raw[i+3 : i+7]); utf16.DecodeRune(r, r2) != utf8.RuneError {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default: // " \ /
			out = append(out, raw[i])
		}
	}
	return string(out)
}

func hex4(b []byte) rune {
	n, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return utf8.RuneError
	}
	return rune(n)
}
