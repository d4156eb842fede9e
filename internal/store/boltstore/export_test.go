package boltstore

// Commits returns the bbolt transactions s has run since ResetCommits.
func Commits(s *Store) int64 { return s.commits.Load() }

// ResetCommits sets the count of commits back to zero.
func ResetCommits(s *Store) { s.commits.Store(0) }
