package org

import (
	"strings"

	"github.com/orgd/orgd/internal/api"
)

// defaultPageSize is the page size when MaxResults is absent; AWS leaves
// it unspecified (spec section 7.6).
const defaultPageSize = 20

// listing is one page of a key-ordered listing.
type listing struct {
	t      *txn
	scope  string // binds the NextToken to the operation, caller and filters
	prefix string
	token  string
	max    int32
	// keep filters keys without counting them against the page; nil keeps all.
	keep func(key string, val []byte) (bool, error)
}

// list reads one page of l and calls add for each key in it. It returns
// the NextToken of the following page, or "" when there is none. Its cost
// is proportional to the page (plus skipped keys when keep filters).
// keep and add run during the scan, so they may read through t but not
// write, and val is valid only during the call.
func (t *txn) list(op string, c *caller, scopeParts []string, prefix string, token string, max int32, keep func(string, []byte) (bool, error), add func(key string, val []byte) error) (string, error) {
	scope := op + "\x00" + c.ID + "\x00" + strings.Join(scopeParts, "\x00")
	after := ""
	if token != "" {
		var err error
		if after, err = t.s.tokens.After(scope, token); err != nil || !strings.HasPrefix(after, prefix) {
			return "", errInvalidNextToken()
		}
	}
	n := pageSize(max)
	// One variable for what the scan finds: each captured one would be an
	// allocation of its own.
	var page struct {
		count int
		last  string // the key of the page's last item
		more  bool   // an item follows the page
		err   error
	}
	err := t.Scan(prefix, after, func(k string, v []byte) bool {
		if keep != nil {
			ok, err := keep(k, v)
			if err != nil {
				page.err = err
				return false
			}
			if !ok {
				return true
			}
		}
		if page.count == n {
			page.more = true
			return false
		}
		if err := add(k, v); err != nil {
			page.err = err
			return false
		}
		page.count++
		page.last = k
		return true
	})
	if err == nil {
		err = page.err
	}
	if err != nil || !page.more {
		return "", err
	}
	return t.s.tokens.Token(scope, page.last), nil
}

// pageSize is how many items a page with MaxResults max holds at most.
func pageSize(max int32) int {
	if max <= 0 {
		return defaultPageSize
	}
	return int(max)
}

func errInvalidNextToken() error {
	return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidNextToken, "The NextToken is not valid for this request.")
}

// lastSegment returns what follows the last "/" of an index key.
func lastSegment(key string) string {
	return key[strings.LastIndexByte(key, '/')+1:]
}
