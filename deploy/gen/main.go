// Command gen (`make generate`) writes the deployment files derived from
// alerts/*.yml and dashboards/*.json (see internal/deploygen): the
// PrometheusRule and dashboards ConfigMap of deploy/kubernetes and the Helm
// chart's rule template and dashboard copies. Run it from the repository
// root, or pass the root with -root.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/deploygen"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	out, err := deploygen.Generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
	changed, err := deploygen.Write(*root, out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
	for _, p := range changed {
		fmt.Println("generate: updated", p)
	}
}
