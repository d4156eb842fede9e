package memstore_test

import (
	"testing"

	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
	"github.com/orgd/orgd/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memstore.New() })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(*testing.B) store.Store { return memstore.New() })
}
