package reconcile

import "sync/atomic"

// How far a comparison is, when nobody knows how many versions there are
// (S3 has no cheap count): each partition is a known range of keys, and
// where its listing stands in that range says how far through it is.
//
// The estimate assumes:
//   - within a partition, keys are spread evenly over the characters keys
//     are usually made of (letters, digits and -_./=, each as likely as
//     another at every position; any other byte 16 times less likely), so
//     a key's position is its bytes read as an arithmetic code with those
//     weights (base 256 if every byte were as likely) — and no key sorts
//     before the first one listed, which narrows the range from below;
//   - a running partition holds what it has listed divided by how far
//     through it is, a finished one what it listed, and one not far enough
//     yet (under 1 %) or not started the mean of the others (nothing is
//     said while it has listed more than that mean): the fraction
//     done is what was listed over the sum, so partitions weigh by what
//     they hold, not by the width of their range, and empty ones nothing.
//
// Keys bunched in a narrow part of a range (every key starting with 2024/
// in the range of the digits) break the first assumption: such a
// partition's fraction hardly moves until it ends. While it is under 1 %
// nothing is said rather than something wrong; past it, the fraction is
// too low, so the time left too long, until the partition ends. A
// partition's position is its last page's last key (one page ahead of the
// comparison at most). Records and the pass over the hashed records (long
// keys) are assumed to follow the versions.

// partState is what a partition publishes for the progress: written by
// its own goroutine once a listing page, read by the progress snapshot, so
// a key costs nothing.
type partState struct {
	at   atomic.Pointer[listed]
	done atomic.Bool
}

// listed is how far a partition's version listing is.
type listed struct {
	first, last string // the first and the last key listed in the partition
	n           int64  // versions and delete markers listed in it
}

// keyCDF[b] is the share of the byte weights below b (keyCDF[256] is 1).
var keyCDF = func() (c [257]float64) {
	var w [256]float64
	for b := range w {
		w[b] = 1.0 / 16
	}
	for _, r := range "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_./=" {
		w[r] = 1
	}
	var sum float64
	for _, x := range w {
		sum += x
	}
	for b, x := range w {
		c[b+1] = c[b] + x/sum
	}
	c[256] = 1
	return c
}()

// position maps a key's bytes to [0, 1) in sort order. Bytes past the
// 12th, or past float64's precision, do not move it.
func position(rest string) float64 {
	x, width := 0.0, 1.0
	for i := 0; i < len(rest) && i < 12; i++ {
		b := rest[i]
		x += width * keyCDF[b]
		width *= keyCDF[int(b)+1] - keyCDF[b]
	}
	return x
}

// fraction says how far through the partition a listing is whose first
// key was first and whose last is last (whole keys, the prefix included).
func (p partition) fraction(first, last string) float64 {
	lo, hi := max(keyCDF[p.lo], position(trim(first, p.prefix))), keyCDF[p.hi]
	if hi <= lo {
		return 0
	}
	return min(max((position(trim(last, p.prefix))-lo)/(hi-lo), 0), 1)
}

func trim(key, prefix string) string {
	if len(key) < len(prefix) {
		return ""
	}
	return key[len(prefix):]
}

// minPartFraction is how far a partition must be before what it has
// listed says anything about what it holds.
const minPartFraction = 0.01

// estimate is the share of the versions compared (see the assumptions
// above); 0 when nothing can be said yet.
func estimate(parts []partition, st []partState) float64 {
	var done, total, knownTotal float64
	known, finished := 0, 0
	unknown := make([]float64, 0, len(parts)) // what each unknown one listed
	for i, p := range parts {
		a := st[i].at.Load()
		var n, f float64
		if a != nil {
			n, f = float64(a.n), p.fraction(a.first, a.last)
		}
		switch {
		case st[i].done.Load():
			done, total, knownTotal, known, finished = done+n, total+n, knownTotal+n, known+1, finished+1
		case f >= minPartFraction:
			done, total, knownTotal, known = done+n, total+n/f, knownTotal+n/f, known+1
		default:
			unknown = append(unknown, n)
		}
	}
	if finished == len(parts) {
		return 1
	}
	if known == 0 {
		return 0
	}
	mean := knownTotal / float64(known)
	for _, n := range unknown {
		if n >= mean {
			return 0 // it may hold anything from what it listed up
		}
		done, total = done+n, total+mean
	}
	if total <= 0 {
		return 0
	}
	return min(done/total, 1)
}
