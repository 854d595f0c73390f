package operation

import (
	"context"
	"fmt"

	"github.com/xacct/xacct/internal/resource"
	"github.com/xacct/xacct/internal/state"
)

// Import records an existing resource of the config in the state as it
// is. address is account/kind/name; id is its name in AWS, which for every
// kind xacct manages is the address's last part.
func (s *Session) Import(ctx context.Context, address, id string) error {
	addr, err := importAddress(address, id)
	if err != nil {
		return err
	}
	found := false
	for _, r := range s.desired {
		found = found || r.Addr == addr
	}
	if !found {
		return withHint(fmt.Errorf("%s is not a resource of this config", addr), "xacct plan lists the config's resources")
	}
	if _, ok := s.st.Snapshot().Resources[addr.String()]; ok {
		return fmt.Errorf("%s is already in the state", addr)
	}
	v, err := s.kinds[addr.Kind].Read(ctx, s.clients[addr.Account], addr.Name)
	if err != nil {
		return err
	}
	if v == nil {
		return fmt.Errorf("%s does not exist in the %s account: nothing to import", addr, addr.Account)
	}
	return s.st.Put(ctx, addr.String(), state.Entry{Kind: addr.Kind, Account: addr.Account, Name: addr.Name, Value: v})
}

// ParseAddress checks that s is a resource address (account/kind/name).
func ParseAddress(s string) error {
	_, err := resource.ParseAddress(s)
	return err
}

// CheckImport checks an import's arguments before anything is read or
// called: an address, and an ID that is its name.
func CheckImport(address, id string) error {
	_, err := importAddress(address, id)
	return err
}

func importAddress(address, id string) (resource.Address, error) {
	addr, err := resource.ParseAddress(address)
	if err != nil {
		return addr, err
	}
	if addr.Name != id {
		return addr, fmt.Errorf("ID %q does not match the address's name %q: xacct names resources by their AWS name", id, addr.Name)
	}
	return addr, nil
}
