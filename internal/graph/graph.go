// Package graph draws the pattern a config deploys: accounts as subgraphs,
// groups -> roles -> buckets, bucket -> Lambda -> writer role -> reporting
// bucket, each edge labelled with what it allows; as Mermaid (the seed's
// shape) or Graphviz DOT.
package graph

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/xacct/xacct/internal/config"
	"github.com/xacct/xacct/internal/stack"
)

type node struct{ id, label, account string }

type edge struct{ from, to, label string }

type topology struct {
	accounts []struct{ key, title string }
	nodes    []node
	edges    []edge
}

var idRE = regexp.MustCompile(`[^A-Za-z0-9_]`)

func nodeID(prefix, name string) string { return prefix + "_" + idRE.ReplaceAllString(name, "_") }

func build(c *config.Config) topology {
	t := topology{}
	t.accounts = []struct{ key, title string }{
		{"development", "Development Account " + c.Accounts.Development.ID},
		{"production", "Production Account " + c.Accounts.Production.ID},
		{"reporting", "Reporting Account " + c.Accounts.Reporting.ID},
	}
	prod := nodeID("bucket", c.Production.Bucket)
	rep := nodeID("bucket", c.Reporting.Bucket)
	fn := nodeID("lambda", c.Production.Processor.FunctionName)
	writer := nodeID("role", c.Reporting.WriterRoleName)
	for _, g := range c.Groups {
		gid, rid := nodeID("group", g.GroupName), nodeID("role", g.RoleName)
		t.nodes = append(t.nodes, node{gid, "IAM Group: " + g.GroupName, "development"}, node{rid, "IAM Role: " + g.RoleName, "production"})
		assume := "AssumeRole"
		if g.RequireMFA {
			assume += " with MFA"
		}
		t.edges = append(t.edges, edge{gid, rid, assume}, edge{rid, prod, strings.Join(g.Actions, ", ")})
	}
	t.nodes = append(t.nodes,
		node{prod, "S3 Bucket: " + c.Production.Bucket, "production"},
		node{fn, "Lambda Function: " + c.Production.Processor.FunctionName, "production"},
		node{writer, "IAM Role: " + c.Reporting.WriterRoleName, "reporting"},
		node{rep, "S3 Bucket: " + c.Reporting.Bucket, "reporting"},
	)
	t.edges = append(t.edges,
		edge{prod, fn, strings.Join(c.Production.Processor.Events, ", ")},
		edge{fn, prod, "s3:GetObject, s3:GetObjectVersion (as " + stack.ProcessorRoleName(c) + ")"},
		edge{fn, writer, "AssumeRole"},
		edge{writer, rep, "s3:PutObject on " + c.Reporting.Prefix + "*"},
	)
	// Where failed events wait, and the backfill job that repairs records.
	failures := nodeID("bucket", c.Production.Processor.FailureBucket)
	batch := nodeID("role", c.Production.BatchRoleName)
	t.nodes = append(t.nodes,
		node{failures, "S3 Bucket: " + c.Production.Processor.FailureBucket, "production"},
		node{batch, "IAM Role: " + c.Production.BatchRoleName, "production"})
	t.edges = append(t.edges,
		edge{fn, failures, "failed events (on-failure destination)"},
		edge{batch, fn, "lambda:InvokeFunction (S3 Batch Operations backfill)"},
		edge{batch, rep, "s3:PutObject on " + c.Reporting.BatchReportsPrefix + "*"})
	if l := c.Reporting.Logs; l.Enabled {
		logs := nodeID("bucket", l.Bucket)
		t.nodes = append(t.nodes, node{logs, "S3 Bucket: " + l.Bucket + " (logs)", "reporting"})
		for _, a := range c.Accounts.All() {
			tid := nodeID("trail_"+a.Name, l.TrailName)
			t.nodes = append(t.nodes, node{tid, "CloudTrail: " + l.TrailName, a.Name})
			label := "management events"
			if a.Name == "production" && l.DataEvents != config.DataEventsNone {
				label += " + " + l.DataEvents + " data events of " + c.Production.Bucket
			}
			t.edges = append(t.edges, edge{tid, logs, label + " to AWSLogs/" + a.ID + "/"})
		}
	}
	return t
}

// Mermaid writes the topology as a Mermaid flowchart.
func Mermaid(w io.Writer, c *config.Config) error {
	t := build(c)
	var b strings.Builder
	b.WriteString("graph TD\n")
	for _, a := range t.accounts {
		fmt.Fprintf(&b, "    subgraph %s[\"%s\"]\n", a.key, a.title)
		for _, n := range t.nodes {
			if n.account == a.key {
				fmt.Fprintf(&b, "        %s[\"%s\"]\n", n.id, n.label)
			}
		}
		b.WriteString("    end\n")
	}
	for _, e := range t.edges {
		fmt.Fprintf(&b, "    %s -- \"%s\" --> %s\n", e.from, e.label, e.to)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DOT writes the topology in Graphviz's DOT language.
func DOT(w io.Writer, c *config.Config) error {
	t := build(c)
	var b strings.Builder
	b.WriteString("digraph xacct {\n    rankdir=TB;\n    node [shape=box];\n")
	for _, a := range t.accounts {
		fmt.Fprintf(&b, "    subgraph cluster_%s {\n        label=%q;\n", a.key, a.title)
		for _, n := range t.nodes {
			if n.account == a.key {
				fmt.Fprintf(&b, "        %s [label=%q];\n", n.id, n.label)
			}
		}
		b.WriteString("    }\n")
	}
	for _, e := range t.edges {
		fmt.Fprintf(&b, "    %s -> %s [label=%q];\n", e.from, e.to, e.label)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
