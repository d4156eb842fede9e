package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/orgd/orgd/internal/federation"
	"github.com/orgd/orgd/internal/pattern"
)

// Credentials are the long-term access keys orgd knows, read from the
// file named by --credentials (ORGD_CREDENTIALS). The file is JSON:
//
//	{
//	  "credentials": [
//	    {
//	      "accessKeyId":     "AKIAORGDMANAGEMENT01",
//	      "secretAccessKey": "management-secret",
//	      "accountId":       "111111111111"
//	    },
//	    {
//	      "accessKeyId":     "AKIAORGDALICE0000001",
//	      "secretAccessKey": "alice-secret",
//	      "principal":       "arn:aws:iam::111111111111:user/alice"
//	    }
//	  ]
//	}
//
// Each entry maps an access key ID (16 to 128 word characters, not
// starting with ASIA, which STS session keys use) and its secret key to
// an account and a principal. The principal is the account's root
// (arn:aws:iam::<acct>:root, the default), an IAM user
// (arn:aws:iam::<acct>:user/[path/]name) or an IAM role
// (arn:aws:iam::<acct>:role/[path/]name). accountId may be left out when
// the principal names the account; when both are given they must agree.
// Unknown fields are errors, so that a misspelt field is not ignored.
//
// The same file may declare OpenID Connect and SAML identity providers
// and the roles they may assume (for AssumeRoleWithWebIdentity and
// AssumeRoleWithSAML); see federation.File.
type Credentials struct {
	byKey      map[string]Credential
	federation *federation.Config
}

// Credential is one long-term access key.
type Credential struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	AccountID       string `json:"accountId,omitempty"`
	Principal       string `json:"principal,omitempty"`
}

func (c Credential) caller() Caller {
	return Caller{AccountID: c.AccountID, AccessKeyID: c.AccessKeyID, Principal: c.Principal}
}

// credentialsFile is the file's top-level shape.
type credentialsFile struct {
	Credentials []Credential `json:"credentials"`
	federation.File
}

var (
	accessKeyIDRe = pattern.MustCompile(`^\w{16,128}$`)
	// principalRe matches root, user and role ARNs; group 2 is the
	// account.
	principalRe = regexp.MustCompile(`^arn:([a-z][a-z0-9-]*):iam::(\d{12}):(root|(user|role)/([\x21-\x7e]*/)?[\w+=,.@-]{1,64})$`)
)

// LoadCredentials reads a credentials file; see Credentials. Its secrets
// decide who may act as whom, so a file that others than its owner may
// write is refused, and one that anyone may read is loaded with a
// warning.
func LoadCredentials(path string) (*Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The mode of the file read, not of whatever the path names later.
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("credentials file %s is not a regular file", path)
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return nil, fmt.Errorf("credentials file %s has mode %04o: it is group- or world-writable, so others could add keys; run chmod go-w %s", path, perm, path)
	}
	if perm&0o004 != 0 {
		slog.Warn("the credentials file is world-readable: every user of this host can read its secret keys; run chmod o-r on it", "file", path, "mode", fmt.Sprintf("%04o", perm))
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	c, err := parseCredentials(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseCredentials parses the JSON of a credentials file, with principals
// in the partition "aws" unless they name another, and the files it names
// relative to the working directory.
func ParseCredentials(b []byte) (*Credentials, error) { return parseCredentials(b, ".") }

func parseCredentials(b []byte, dir string) (*Credentials, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f credentialsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	c, err := NewCredentials(f.Credentials...)
	if err != nil {
		return nil, err
	}
	if c.federation, err = federation.Load(f.File, dir); err != nil {
		return nil, err
	}
	return c, nil
}

// Federation returns the identity providers and roles of the file; nil
// when there are none.
func (cs *Credentials) Federation() *federation.Config {
	if cs == nil {
		return nil
	}
	return cs.federation
}

// NewCredentials checks creds and returns them as a set.
func NewCredentials(creds ...Credential) (*Credentials, error) {
	set := &Credentials{byKey: make(map[string]Credential, len(creds))}
	for i, c := range creds {
		where := fmt.Sprintf("credentials[%d]", i)
		if !accessKeyIDRe.MatchString(c.AccessKeyID) {
			return nil, fmt.Errorf("%s: accessKeyId must be 16 to 128 letters, digits or underscores", where)
		}
		if isSessionKey(c.AccessKeyID) {
			return nil, fmt.Errorf("%s: accessKeyId %s: keys starting with %s are STS session keys", where, c.AccessKeyID, SessionKeyPrefix)
		}
		if c.SecretAccessKey == "" {
			return nil, fmt.Errorf("%s (%s): secretAccessKey is empty", where, c.AccessKeyID)
		}
		if c.AccountID != "" && !IsAccountID(c.AccountID) {
			return nil, fmt.Errorf("%s (%s): accountId must be 12 digits", where, c.AccessKeyID)
		}
		if c.Principal == "" {
			if c.AccountID == "" {
				return nil, fmt.Errorf("%s (%s): needs accountId or principal", where, c.AccessKeyID)
			}
			c.Principal = RootARN("aws", c.AccountID)
		}
		m := principalRe.FindStringSubmatch(c.Principal)
		if m == nil {
			return nil, fmt.Errorf("%s (%s): principal %q is not arn:<partition>:iam::<acct>:root, :user/<name> or :role/<name>", where, c.AccessKeyID, c.Principal)
		}
		if c.AccountID == "" {
			c.AccountID = m[2]
		} else if c.AccountID != m[2] {
			return nil, fmt.Errorf("%s (%s): principal %s is not in account %s", where, c.AccessKeyID, c.Principal, c.AccountID)
		}
		if _, dup := set.byKey[c.AccessKeyID]; dup {
			return nil, fmt.Errorf("%s: accessKeyId %s appears twice", where, c.AccessKeyID)
		}
		set.byKey[c.AccessKeyID] = c
	}
	return set, nil
}

// Lookup returns the credential of an access key ID. A nil set knows no
// keys.
func (cs *Credentials) Lookup(accessKeyID string) (Credential, bool) {
	if cs == nil {
		return Credential{}, false
	}
	c, ok := cs.byKey[accessKeyID]
	return c, ok
}

// Len is the number of keys in the set.
func (cs *Credentials) Len() int {
	if cs == nil {
		return 0
	}
	return len(cs.byKey)
}

// UserID is the caller's aws:userid, as GetCallerIdentity shows it: the
// account ID for the root user, a stable ID derived from the ARN for IAM
// users (AIDA…) and roles (AROA…), "<role ID>:<session>" for role
// sessions and "<account>:<name>" for federated users.
func UserID(c Caller, partition string) string {
	p := PrincipalOf(c, partition)
	if m := principalRe.FindStringSubmatch(p); m != nil {
		switch m[4] {
		case "user":
			return uniqueID("AIDA", p)
		case "role":
			name := p[strings.LastIndex(p, "/")+1:]
			return RoleID(m[1], m[2], name)
		}
		return m[2]
	}
	if m := assumedRoleRe.FindStringSubmatch(p); m != nil {
		return RoleID(m[1], m[2], m[3]) + ":" + m[4]
	}
	if m := federatedUserRe.FindStringSubmatch(p); m != nil {
		return m[2] + ":" + m[3]
	}
	return c.AccountID
}

var assumedRoleRe = regexp.MustCompile(`^arn:([a-z][a-z0-9-]*):sts::(\d{12}):assumed-role/([^/]+)/(.+)$`)

// RoleID is the stable unique ID orgd gives a role: AWS makes one when a
// role is created, and orgd, which keeps no roles, derives it from the
// role's name so that it is the same on every server.
func RoleID(partition, account, role string) string {
	return uniqueID("AROA", "arn:"+partition+":iam::"+account+":role/"+role)
}

func uniqueID(prefix, arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}
