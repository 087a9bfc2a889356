package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"
)

// HTMLOptions tune the status page.
type HTMLOptions struct {
	// MaxFindings bounds the findings listed per severity; the others are
	// counted (default 100).
	MaxFindings int
	// MaxTopics bounds the topics listed by score (default 50).
	MaxTopics int
	// MetricsPath is linked from the page (default /metrics).
	MetricsPath string
	// Now is the time the page is rendered at, for the poll's age.
	Now time.Time
}

//go:embed status.html.tmpl
var statusTemplate string

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"title": titleCase,
}).Parse(statusTemplate))

// htmlSection is one severity's findings on the page.
type htmlSection struct {
	Severity string
	Findings []Finding
	// Total counts the severity's findings, Hidden those not listed.
	Total, Hidden int
}

type htmlPage struct {
	R           *Report
	Verdict     string
	Class       string
	Summary     string
	Age         string
	Time        string
	Sections    []htmlSection
	Topics      []TopicScore
	TopicsMore  int
	MetricsPath string
	Failed      []Part
}

// WriteHTML renders r as the exporter's /status page: one self-contained
// HTML page (inline CSS, no script, no external asset) that lists the
// findings by severity, at most MaxFindings per severity, and the topics by
// score. Healthy partitions are only counted, so the page stays small on
// large clusters.
func WriteHTML(w io.Writer, r *Report, o HTMLOptions) error {
	if o.MaxFindings <= 0 {
		o.MaxFindings = 100
	}
	if o.MaxTopics <= 0 {
		o.MaxTopics = 50
	}
	if o.MetricsPath == "" {
		o.MetricsPath = "/metrics"
	}
	p := htmlPage{R: r, Verdict: verdict(r), Class: "ok", Summary: summaryLine(r), MetricsPath: o.MetricsPath,
		Time: r.Time.UTC().Format(time.RFC3339)}
	if !o.Now.IsZero() {
		p.Age = o.Now.Sub(r.Time).Round(time.Second).String()
	}
	if worst, ok := r.Worst(); ok {
		p.Class = worst.String()
	}
	for _, sev := range Severities {
		fs := r.BySeverity(sev)
		if len(fs) == 0 {
			continue
		}
		sec := htmlSection{Severity: sev.String(), Findings: fs, Total: len(fs)}
		if len(fs) > o.MaxFindings {
			sec.Findings, sec.Hidden = fs[:o.MaxFindings], len(fs)-o.MaxFindings
		}
		p.Sections = append(p.Sections, sec)
	}
	p.Topics = r.Topics
	if len(p.Topics) > o.MaxTopics {
		p.Topics, p.TopicsMore = p.Topics[:o.MaxTopics], len(r.Topics)-o.MaxTopics
	}
	for _, part := range r.Parts {
		if !part.Success {
			p.Failed = append(p.Failed, part)
		}
	}
	return statusPage.Execute(w, p)
}

// WriteHTMLUnavailable renders the status page when there is no current
// poll to report on, saying why.
func WriteHTMLUnavailable(w io.Writer, reason string) error {
	_, err := fmt.Fprintf(w, unavailablePage, template.HTMLEscapeString(reason))
	return err
}

const unavailablePage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30"><title>Kafka loss status: unavailable</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}p.banner{padding:.8rem;border-radius:.4rem;background:#eee}</style>
</head><body><h1>Kafka loss status</h1><p class="banner" id="verdict">No report: %s</p><p><a href="/">Home</a></p></body></html>
`
