package org

import (
	"context"
	"strings"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// GovCloud (US) accounts live outside orgd's commercial partition: orgd
// keeps only which commercial account each is paired with, so that
// CreateGovCloudAccount can check its precondition and report the
// GovCloud account it made. See docs/transfers.md.
//
// govpair/<commercial account>  -> the paired GovCloud account ID
// govacct/<GovCloud account>    -> "<commercial account> <email>": whom it
//                                  is paired with, and its own email
// govemail/<email>              -> the GovCloud account with that email
// govcar/<request>              -> a CreateGovCloudAccount request: "" until
//                                  it succeeds, then its GovCloud account

func keyGovPair(acct string) string      { return "govpair/" + acct }
func keyGovAccount(gov string) string    { return "govacct/" + gov }
func keyGovEmail(email string) string    { return "govemail/" + strings.ToLower(email) }
func keyGovCreate(request string) string { return "govcar/" + request }

func init() {
	beforeDeleteOrganization = append(beforeDeleteOrganization, func(t *txn, o *organization) error {
		// The organization's requests go with it (organization.go), and so
		// do their GovCloud marks. The pairings belong to the accounts.
		keys, err := t.keysWithPrefix(prefixOrgCreateStatus(o.ID))
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := t.Delete(keyGovCreate(lastSegment(k))); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) CreateGovCloudAccount(ctx context.Context, in *api.CreateGovCloudAccountRequest) (*api.CreateGovCloudAccountResponse, error) {
	var out api.CreateGovCloudAccountResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		cs, err := t.startCreateAccount("CreateGovCloudAccount", in, createRequest{
			Email: in.Email, AccountName: in.AccountName, RoleName: in.RoleName,
			IamBilling: in.IamUserAccessToBilling, Tags: in.Tags,
		}, func(c *caller) error {
			// The management account must have a GovCloud account of its own.
			if paired, err := t.has(keyGovPair(c.ID)); err != nil || paired {
				return err
			}
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonMasterAccountNotGovcloudEnabled,
				"The management account must be associated with an account in the AWS GovCloud (US) Region.")
		})
		if err != nil {
			return err
		}
		if err := t.Put(keyGovCreate(cs.ID), nil); err != nil {
			return err
		}
		out.CreateAccountStatus, err = t.createStatusView(cs)
		return err
	}))
}

// govCloudFailure is why a completing GovCloud request fails on its
// GovCloud side, or "": the GovCloud Region already has an account with
// the email. It is checked before the commercial email, so that asking
// twice for the same GovCloud account names the GovCloud conflict.
func (t *txn) govCloudFailure(cs *createStatus) (api.CreateAccountFailureReason, error) {
	if gov, err := t.has(keyGovCreate(cs.ID)); err != nil || !gov {
		return "", err
	}
	if taken, err := t.has(keyGovEmail(cs.Email)); err != nil || !taken {
		return "", err
	}
	return api.CreateAccountFailureReasonGovcloudAccountAlreadyExists, nil
}

// govCloudCreated pairs the commercial account a that GovCloud request cs
// made with a new GovCloud account of the same email.
func (t *txn) govCloudCreated(cs *createStatus, a *account) error {
	if gov, err := t.has(keyGovCreate(cs.ID)); err != nil || !gov {
		return err
	}
	govID, err := t.pairGovCloud(a)
	if err != nil {
		return err
	}
	return t.Put(keyGovCreate(cs.ID), []byte(govID))
}

// govCloudAccountOf returns the GovCloud account request cs made, or "".
func (t *txn) govCloudAccountOf(cs *createStatus) (string, error) {
	v, _, err := t.Get(keyGovCreate(cs.ID))
	return string(v), err
}

// pairGovCloud gives account a a new GovCloud account with a's email.
func (t *txn) pairGovCloud(a *account) (string, error) {
	var govID string
	for {
		id, err := t.newID("", idShape{alphabet: digits, n: 12}, keyGovAccount)
		if err != nil {
			return "", err
		}
		// Keep the two partitions' IDs apart, so that neither is mistaken
		// for the other.
		if _, stored, err := t.storedAccount(id); err != nil {
			return "", err
		} else if !stored {
			govID = id
			break
		}
	}
	if err := t.putStrings(map[string]string{
		keyGovPair(a.ID):     govID,
		keyGovAccount(govID): a.ID + " " + strings.ToLower(a.Email),
		keyGovEmail(a.Email): govID,
	}); err != nil {
		return "", err
	}
	return govID, nil
}

// unpairGovCloud forgets account a's GovCloud account, if it has one.
func (t *txn) unpairGovCloud(a *account) error {
	v, ok, err := t.Get(keyGovPair(a.ID))
	if err != nil || !ok {
		return err
	}
	govID := string(v)
	keys := []string{keyGovPair(a.ID), keyGovAccount(govID)}
	// The GovCloud account's email is the one it was made with, which the
	// commercial account may have changed since.
	if rec, ok, err := t.Get(keyGovAccount(govID)); err != nil {
		return err
	} else if _, email, found := strings.Cut(string(rec), " "); ok && found {
		keys = append(keys, keyGovEmail(email))
	}
	return t.deleteKeys(keys...)
}

// SetGovCloud associates account id with an account in the AWS GovCloud
// (US) Region, as AWS does when a commercial account signs up for
// GovCloud, or ends the association. A management account needs one to
// call CreateGovCloudAccount. It returns the GovCloud account's ID ("" when
// disabled). Associating an account that has one keeps it.
func (s *Service) SetGovCloud(ctx context.Context, id string, enabled bool) (string, error) {
	var govID string
	err := s.write(ctx, func(t *txn) error {
		if !identity.IsAccountID(id) {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "accountId must be 12 digits")
		}
		a, err := t.account(id)
		if err != nil {
			return err
		}
		v, paired, err := t.Get(keyGovPair(id))
		if err != nil {
			return err
		}
		switch {
		case !enabled:
			return t.unpairGovCloud(a)
		case paired:
			govID = string(v)
			return nil
		}
		if taken, err := t.has(keyGovEmail(a.Email)); err != nil {
			return err
		} else if taken {
			return api.NewDuplicateAccount("A GovCloud account with the email %s already exists.", a.Email)
		}
		govID, err = t.pairGovCloud(a)
		return err
	})
	return govID, err
}
