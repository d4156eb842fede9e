package pgstore

// MarkContended makes a scope's next batches take its scope_lock row, as a
// conflict would.
func (s *Store) MarkContended(scope string) { s.markContended(scope) }
