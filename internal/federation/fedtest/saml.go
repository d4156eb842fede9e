package fedtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// IdP is a SAML identity provider with a self-signed certificate.
type IdP struct {
	EntityID string
	Cert     *x509.Certificate
	Key      *rsa.PrivateKey
}

// NewIdP returns an IdP named entityID with a fresh key and a
// certificate valid for ten years around now.
func NewIdP(t testing.TB, entityID string) *IdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: entityID},
		NotBefore: time.Now().AddDate(-5, 0, 0), NotAfter: time.Now().AddDate(5, 0, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &IdP{EntityID: entityID, Cert: cert, Key: key}
}

// WriteCertificate writes the certificate as PEM to dir/name and returns
// the file name.
func (i *IdP) WriteCertificate(t testing.TB, dir, name string) string {
	t.Helper()
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.Cert.Raw})
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// Assertion describes the assertion of a SAML response.
type Assertion struct {
	Subject     string
	Recipient   string // and audience; AWS's sign-in endpoint when ""
	Audience    string // overrides the audience when set
	Roles       []string
	SessionName string
	IssuedAt    time.Time
	// Valid is how long it is valid from IssuedAt; an hour when 0.
	Valid time.Duration
	// Status is the response's status code; Success when "".
	Status string
	// SignResponse signs the whole response instead of the assertion.
	SignResponse bool
}

// Response builds the response and signs it with key (the IdP's when
// nil), base64-encoded as AssumeRoleWithSAML takes it; edit, when set,
// changes the signed document before it is encoded.
func (i *IdP) Response(t testing.TB, a Assertion, key *rsa.PrivateKey, edit func(*etree.Document)) string {
	t.Helper()
	if a.Recipient == "" {
		a.Recipient = "https://signin.aws.amazon.com/saml"
	}
	if a.Audience == "" {
		a.Audience = a.Recipient
	}
	if a.Valid == 0 {
		a.Valid = time.Hour
	}
	if a.Status == "" {
		a.Status = "urn:oasis:names:tc:SAML:2.0:status:Success"
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
	doc := etree.NewDocument()
	resp := doc.CreateElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
	resp.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	resp.CreateAttr("ID", "_response1")
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", ts(a.IssuedAt))
	resp.CreateAttr("Destination", a.Recipient)
	resp.CreateElement("saml:Issuer").SetText(i.EntityID)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", a.Status)
	as := resp.CreateElement("saml:Assertion")
	// Declared again, as IdPs do, so that the assertion stands alone.
	as.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	as.CreateAttr("ID", "_assertion1")
	as.CreateAttr("Version", "2.0")
	as.CreateAttr("IssueInstant", ts(a.IssuedAt))
	as.CreateElement("saml:Issuer").SetText(i.EntityID)
	subj := as.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
	nid.SetText(a.Subject)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("NotOnOrAfter", ts(a.IssuedAt.Add(a.Valid)))
	scd.CreateAttr("Recipient", a.Recipient)
	conds := as.CreateElement("saml:Conditions")
	conds.CreateAttr("NotBefore", ts(a.IssuedAt))
	conds.CreateAttr("NotOnOrAfter", ts(a.IssuedAt.Add(a.Valid)))
	conds.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(a.Audience)
	authn := as.CreateElement("saml:AuthnStatement")
	authn.CreateAttr("AuthnInstant", ts(a.IssuedAt))
	authn.CreateAttr("SessionNotOnOrAfter", ts(a.IssuedAt.Add(8*time.Hour)))
	attrs := as.CreateElement("saml:AttributeStatement")
	attr := func(name string, values ...string) {
		at := attrs.CreateElement("saml:Attribute")
		at.CreateAttr("Name", name)
		for _, v := range values {
			at.CreateElement("saml:AttributeValue").SetText(v)
		}
	}
	attr("https://aws.amazon.com/SAML/Attributes/Role", a.Roles...)
	if a.SessionName != "" {
		attr("https://aws.amazon.com/SAML/Attributes/RoleSessionName", a.SessionName)
	}

	if key == nil {
		key = i.Key
	}
	cert := tls.Certificate{Certificate: [][]byte{i.Cert.Raw}, PrivateKey: key}
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(cert))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	target := as
	if a.SignResponse {
		target = resp
	}
	sig, err := ctx.ConstructSignature(target, true)
	if err != nil {
		t.Fatal(err)
	}
	// The signature goes after the Issuer, as SAML's schema places it.
	target.InsertChildAt(1, sig)
	if edit != nil {
		edit(doc)
	}
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
