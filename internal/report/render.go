package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/alerts"
)

// Formats are the output formats of Write.
var Formats = []string{"text", "json", "markdown"}

// Write renders r in one of Formats.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "text":
		return WriteText(w, r)
	case "json":
		return WriteJSON(w, r)
	case "markdown":
		return WriteMarkdown(w, r)
	}
	return fmt.Errorf("unknown output format %q (want text, json or markdown)", format)
}

// WriteJSON renders r as indented JSON (schema: docs/audit.md).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// TextWidth is the widest line WriteText writes.
const TextWidth = 100

// WriteText renders r as a plain-text table grouped by severity, no line
// wider than TextWidth columns. Runbooks are named by alert; the footer
// gives the address they live under.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	line := func(format string, args ...any) {
		b.WriteString(strings.TrimRight(clip(fmt.Sprintf(format, args...)), " "))
		b.WriteByte('\n')
	}
	line("Kafka loss audit of cluster %s at %s (poll took %s)", orNone(r.ClusterID), r.Time.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond))
	line("%s", summaryLine(r))
	line("Findings: %d critical, %d warning, %d info", r.Summary.Critical, r.Summary.Warning, r.Summary.Info)
	const subjectWidth, indent = 40, "    "
	for _, sev := range Severities {
		fs := r.BySeverity(sev)
		if len(fs) == 0 {
			continue
		}
		b.WriteByte('\n')
		line("%s (%d)", strings.ToUpper(sev.String()), len(fs))
		line("%-*s %s", subjectWidth, "SUBJECT", "RISK")
		for _, f := range fs {
			subject := f.Subject
			if utf8.RuneCountInString(subject) > subjectWidth {
				line("%s", subject)
				subject = ""
			}
			line("%-*s %s", subjectWidth, subject, f.Risk)
			for _, l := range wrap(f.Detail, TextWidth-len(indent)) {
				line("%s%s", indent, l)
			}
			for _, l := range wrap("fix: "+f.Fix, TextWidth-len(indent)) {
				line("%s%s", indent, l)
			}
			line("%srunbook: %s", indent, strings.TrimSuffix(strings.TrimPrefix(f.Runbook, alerts.RunbookBase), ".md"))
		}
	}
	if len(r.Topics) > 0 {
		b.WriteByte('\n')
		line("TOPICS BY RISK SCORE (%d)", len(r.Topics))
		line("%5s %10s  %-40s %s", "SCORE", "UNHEALTHY", "TOPIC", "RISKS")
		for _, t := range r.Topics {
			risks := strings.Join(t.Risks, ",")
			if risks == "" {
				risks = "-"
			}
			if utf8.RuneCountInString(t.Topic) > 40 || len(risks) > TextWidth-59 {
				line("%5d %4d/%-5d  %s", t.Score, t.UnhealthyPartitions, t.Partitions, t.Topic)
				for _, l := range wrap(risks, TextWidth-len(indent)) {
					line("%s%s", indent, l)
				}
				continue
			}
			line("%5d %4d/%-5d  %-40s %s", t.Score, t.UnhealthyPartitions, t.Partitions, t.Topic, risks)
		}
	}
	if len(r.Findings) > 0 {
		b.WriteByte('\n')
		line("Runbooks: <name>.md under")
		line("%s", alerts.RunbookBase)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summaryLine counts what the poll saw.
func summaryLine(r *Report) string {
	s := r.Summary
	brokers := fmt.Sprintf("%d brokers", s.Brokers)
	var notes []string
	if s.BrokersDown > 0 {
		notes = append(notes, fmt.Sprintf("%d down", s.BrokersDown))
	}
	if s.BrokersUnresponsive > 0 {
		notes = append(notes, fmt.Sprintf("%d unresponsive", s.BrokersUnresponsive))
	}
	if len(notes) > 0 {
		brokers += " (" + strings.Join(notes, ", ") + ")"
	}
	return fmt.Sprintf("%s, %d topics, %d partitions (%d healthy), %d consumer groups", brokers, s.Topics, s.Partitions, s.HealthyPartitions, s.Groups)
}

func orNone(s string) string {
	if s == "" {
		return "(unknown id)"
	}
	return s
}

// wrap breaks s into lines of at most width runes at spaces; a word longer
// than width is cut.
func wrap(s string, width int) []string {
	var out []string
	cur := ""
	for _, word := range strings.Fields(s) {
		for utf8.RuneCountInString(word) > width {
			if cur != "" {
				out, cur = append(out, cur), ""
			}
			r := []rune(word)
			out, word = append(out, string(r[:width])), string(r[width:])
		}
		switch {
		case cur == "":
			cur = word
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= width:
			cur += " " + word
		default:
			out, cur = append(out, cur), word
		}
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// clip cuts a line at TextWidth runes (only names longer than a line are
// ever cut).
func clip(s string) string {
	if utf8.RuneCountInString(s) <= TextWidth {
		return s
	}
	return string([]rune(s)[:TextWidth-1]) + "~"
}

// WriteMarkdown renders r as GitHub-flavoured Markdown for a pull-request
// comment: a summary, one table per severity and the topics by score.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Kafka loss audit: %s\n\n", verdict(r))
	fmt.Fprintf(&b, "Cluster `%s` at %s: %s.\n", orNone(r.ClusterID), r.Time.UTC().Format(time.RFC3339), summaryLine(r))
	for _, sev := range Severities {
		fs := r.BySeverity(sev)
		if len(fs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s (%d)\n\n", titleCase(sev.String()), len(fs))
		b.WriteString("| Subject | Risk | Detail | Fix |\n|---|---|---|---|\n")
		for _, f := range fs {
			fmt.Fprintf(&b, "| `%s` | [%s](%s) | %s | %s |\n", mdCode(f.Subject), f.Risk, f.Runbook, mdCell(f.Detail), mdCell(f.Fix))
		}
	}
	if len(r.Topics) > 0 {
		fmt.Fprintf(&b, "\n### Topics by risk score (%d)\n\n| Topic | Score | Unhealthy partitions | Risks |\n|---|---:|---:|---|\n", len(r.Topics))
		for _, t := range r.Topics {
			fmt.Fprintf(&b, "| `%s` | %d | %d of %d | %s |\n", mdCode(t.Topic), t.Score, t.UnhealthyPartitions, t.Partitions, mdCell(strings.Join(t.Risks, ", ")))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// verdict is the one-line outcome: the count of the worst severity.
func verdict(r *Report) string {
	switch {
	case r.Summary.Critical > 0:
		return fmt.Sprintf("%d critical, %d warning", r.Summary.Critical, r.Summary.Warning)
	case r.Summary.Warning > 0:
		return fmt.Sprintf("%d warning", r.Summary.Warning)
	case r.Summary.Info > 0:
		return fmt.Sprintf("%d info", r.Summary.Info)
	}
	return "no findings"
}

func titleCase(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// mdCell escapes a table cell: pipes, and newlines (never expected).
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// mdCode escapes text inside a code span in a table.
func mdCode(s string) string { return strings.NewReplacer("|", `\|`, "`", "'").Replace(s) }
