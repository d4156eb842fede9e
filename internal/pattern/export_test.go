package pattern

// CheckScan is checkScan for the tests of the model's patterns.
var CheckScan = checkScan
