package pgstore

import "context"

// MarkContended makes a scope's next batches take its scope_lock row, as a
// conflict would.
func (s *Store) MarkContended(scope string) { s.markContended(scope) }

// Setting returns a setting of a connection from the store's pool.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT current_setting($1)`, name).Scan(&v)
	return v, err
}
