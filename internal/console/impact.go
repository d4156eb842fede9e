package console

import (
	"encoding/json"
	"net/http"
)

// impactReport is the JSON report of an `orgd impact` run, as far as the
// console shows it.
type impactReport struct {
	Summary struct {
		Events       int `json:"events"`
		StillAllowed int `json:"stillAllowed"`
		StillDenied  int `json:"stillDenied"`
		NewlyDenied  int `json:"newlyDenied"`
		NewlyAllowed int `json:"newlyAllowed"`
		Undetermined int `json:"undetermined"`
		FailedOnAWS  int `json:"failedOnAWS"`
		UnknownShape int `json:"unknownShape"`
		Duplicates   int `json:"duplicates"`
	} `json:"summary"`
	NewlyDenied []struct {
		Account    string          `json:"account"`
		Principal  string          `json:"principal"`
		Action     string          `json:"action"`
		Count      int             `json:"count"`
		PolicyID   string          `json:"policyId"`
		PolicyName string          `json:"policyName"`
		Target     string          `json:"target"`
		Statement  json.RawMessage `json:"statement"`
	} `json:"newlyDenied"`
	Undetermined []struct {
		Account     string   `json:"account"`
		Principal   string   `json:"principal"`
		Action      string   `json:"action"`
		Count       int      `json:"count"`
		MissingKeys []string `json:"missingKeys"`
	} `json:"undetermined"`
	GeneratedAt json.RawMessage `json:"generatedAt"`
}

// Generated is when the run was, as the report writes it: a string, or
// epoch seconds as the API writes timestamps.
func (r *impactReport) Generated() string {
	var s string
	if json.Unmarshal(r.GeneratedAt, &s) == nil {
		return s
	}
	return string(r.GeneratedAt)
}

type impactView struct {
	Report  *impactReport
	Problem string
}

func (c *Console) impact(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	var v impactView
	if c.cfg.LastImpact != nil {
		if raw, ok := c.cfg.LastImpact(); ok {
			rep := new(impactReport)
			if err := json.Unmarshal(raw, rep); err != nil {
				v.Problem = "The last report is not readable: " + err.Error()
			} else {
				v.Report = rep
			}
		}
	}
	p.Title, p.Nav, p.Data = "Impact report", "impact", v
	c.render(w, r, http.StatusOK, "impact", p)
}
