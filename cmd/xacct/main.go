// Command xacct provisions the cross-account S3 pattern across three AWS
// accounts: plan, apply, destroy, and prove the access it deployed.
package main

import (
	"os"

	"github.com/xacct/xacct/internal/cli"
)

func main() { os.Exit(cli.Main()) }
