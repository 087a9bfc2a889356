// Command gen writes the Grafana dashboards of kafka-loss-exporter
// (dashboards/*.json) from their Go definitions in package dashboards. Run
// it from the repository root with `make dashboards`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/dashboards"
)

func main() {
	dir := flag.String("dir", "dashboards", "directory to write the dashboard JSON files to")
	flag.Parse()
	for _, d := range dashboards.All() {
		data, err := dashboards.Render(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		path := filepath.Join(*dir, d.FileName)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", path)
	}
}
