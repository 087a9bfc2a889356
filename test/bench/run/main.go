// Command run is make bench: it builds the exporter and the synthetic Kafka
// cluster (test/bench/fakekafka), and for each scenario starts the cluster in
// its own process, runs the real exporter binary against it, measures
// requests per poll, poll and scrape durations, series and peak RSS, and
// prints one table.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// scenario is one run: a cluster size and exporter flags.
type scenario struct {
	name                      string
	topics, partitions        int
	groups, groupTopics       int
	latency                   time.Duration
	pollInterval              time.Duration
	polls                     int // polls measured after the warm-up
	scrapes                   bool
	args                      []string
	partitionsN, committedN   int
	result                    *result
	brokers                   int
	skipWithout100k           bool
	pollTimeout, kafkaTimeout time.Duration
}

type result struct {
	series                  int
	requests                map[string]float64 // per poll
	polls, renders          []float64          // seconds
	gzipSeq, gzipConc, text []float64          // seconds
	gzipBytes               int
	hwmKB                   int
	err                     error
}

const brokers = 3

func main() {
	quick := flag.Bool("quick", false, "small and 20,000-partition scenarios only")
	port := flag.Int("port", 44890, "exporter listen port")
	flag.Parse()

	dir, err := os.MkdirTemp("", "kle-bench")
	check(err)
	defer os.RemoveAll(dir)
	exporter, fake := filepath.Join(dir, "kafka-loss-exporter"), filepath.Join(dir, "fakekafka")
	build(exporter, "./cmd/kafka-loss-exporter")
	build(fake, "./test/bench/fakekafka")

	scenarios := []*scenario{
		{name: "small", topics: 10, partitions: 10, groups: 10, groupTopics: 2, pollInterval: 2 * time.Second, polls: 8, scrapes: true},
		{name: "20k", topics: 200, partitions: 100, groups: 200, groupTopics: 2, pollInterval: 3 * time.Second, polls: 10, scrapes: true},
		{name: "20k no groups", topics: 200, partitions: 100, pollInterval: 3 * time.Second, polls: 4},
		{name: "20k at-risk", topics: 200, partitions: 100, groups: 200, groupTopics: 2, pollInterval: 3 * time.Second, polls: 4, scrapes: true,
			args: []string{"--partition.series=at-risk", "--lag.granularity=topic"}},
		{name: "20k +50ms", topics: 200, partitions: 100, groups: 200, groupTopics: 2, latency: 50 * time.Millisecond, pollInterval: 3 * time.Second, polls: 8},
		{name: "100k", topics: 1000, partitions: 100, groups: 1000, groupTopics: 2, pollInterval: 15 * time.Second, polls: 6, scrapes: true, skipWithout100k: true},
	}
	var ran []*scenario
	for _, sc := range scenarios {
		if *quick && sc.skipWithout100k {
			continue
		}
		sc.partitionsN, sc.committedN = sc.topics*sc.partitions, sc.groups*sc.groupTopics*sc.partitions
		fmt.Fprintf(os.Stderr, "bench: %s (%d partitions, %d groups, %d committed partitions)...\n", sc.name, sc.partitionsN, sc.groups, sc.committedN)
		sc.result = runScenario(exporter, fake, sc, *port)
		if sc.result.err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", sc.name, sc.result.err)
		}
		ran = append(ran, sc)
	}
	printTable(os.Stdout, ran)
}

func build(out, pkg string) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func runScenario(exporterBin, fakeBin string, sc *scenario, port int) *result {
	r := &result{requests: map[string]float64{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	fk := exec.CommandContext(ctx, fakeBin, "-brokers", strconv.Itoa(brokers), "-topics", strconv.Itoa(sc.topics),
		"-partitions", strconv.Itoa(sc.partitions), "-groups", strconv.Itoa(sc.groups), "-group-topics", strconv.Itoa(sc.groupTopics),
		"-latency", sc.latency.String())
	fk.Stderr = os.Stderr
	stdin, err := fk.StdinPipe()
	if err != nil {
		r.err = err
		return r
	}
	stdout, err := fk.StdoutPipe()
	if err != nil {
		r.err = err
		return r
	}
	if r.err = fk.Start(); r.err != nil {
		return r
	}
	defer func() { _ = stdin.Close(); _ = fk.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "bootstrap ") {
		r.err = fmt.Errorf("fakekafka: %q %v", line, err)
		return r
	}
	bootstrap := strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "bootstrap ")), ",")

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"--web.listen-address=" + addr, "--log.level=warn", "--poll.interval=" + sc.pollInterval.String(),
		"--poll.fast-interval=0", "--poll.timeout=60s", "--kafka.timeout=30s"}
	for _, b := range bootstrap {
		args = append(args, "--kafka.server="+b)
	}
	args = append(args, sc.args...)
	ex := exec.CommandContext(ctx, exporterBin, args...)
	ex.Stderr = os.Stderr
	if r.err = ex.Start(); r.err != nil {
		return r
	}
	defer func() { _ = ex.Process.Kill(); _ = ex.Wait() }()
	url := "http://" + addr + "/metrics"

	// Warm-up: two successful polls (the first reads configurations too).
	own, err := waitPolls(url, 2, 10*time.Minute)
	if err != nil {
		r.err = err
		return r
	}
	// Steady state: one sample after every poll.
	startPolls, startReq := own.value(`kafka_loss_exporter_polls_total{result="success"}`), own.requests()
	last := startPolls
	for len(r.polls) < sc.polls {
		time.Sleep(100 * time.Millisecond)
		o, err := scrapeOwn(url)
		if err != nil {
			r.err = err
			return r
		}
		if n := o.value(`kafka_loss_exporter_polls_total{result="success"}`); n > last {
			last = n
			r.polls = append(r.polls, o.value("kafka_loss_exporter_poll_duration_seconds"))
			r.renders = append(r.renders, o.value("kafka_loss_exporter_render_duration_seconds"))
			own = o
		}
	}
	for api, n := range own.requests() {
		r.requests[api] = (n - startReq[api]) / (last - startPolls)
	}
	r.series = int(own.value("kafka_loss_exporter_rendered_series")) + own.lines

	if sc.scrapes {
		r.gzipSeq, r.gzipBytes = scrapeTimes(url, true, 1, 100)
		r.gzipConc, _ = scrapeTimes(url, true, 8, 25)
		r.text, _ = scrapeTimes(url, false, 1, 20)
	}
	r.hwmKB = vmHWM(ex.Process.Pid)
	return r
}

// ownMetrics are the exporter's own series, read from the start of a scrape.
type ownMetrics struct {
	values map[string]float64
	lines  int
}

func (o ownMetrics) value(name string) float64 { return o.values[name] }

func (o ownMetrics) requests() map[string]float64 {
	out := map[string]float64{}
	for k, v := range o.values {
		if api, ok := strings.CutPrefix(k, `kafka_loss_exporter_kafka_requests_total{api="`); ok {
			out[strings.TrimSuffix(api, `"}`)] = v
		}
	}
	return out
}

// scrapeOwn reads a scrape only up to the end of the exporter's own
// metrics, which come first, so that watching polls costs the exporter and
// this process little.
func scrapeOwn(url string) (ownMetrics, error) {
	o := ownMetrics{values: map[string]float64{}}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return o, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# HELP kafka_") && !strings.HasPrefix(line, "# HELP kafka_loss_exporter_") {
			break // the cached part starts
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		o.lines++
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			v, _ := strconv.ParseFloat(line[i+1:], 64)
			o.values[line[:i]] = v
		}
	}
	return o, nil
}

func waitPolls(url string, n float64, timeout time.Duration) (ownMetrics, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		o, err := scrapeOwn(url)
		if err == nil && o.value(`kafka_loss_exporter_polls_total{result="success"}`) >= n {
			return o, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return ownMetrics{}, fmt.Errorf("no %v successful polls within %s", n, timeout)
}

// scrapeTimes runs workers x each full scrapes as Prometheus sends them
// (OpenMetrics first) and returns their durations (request to last byte).
func scrapeTimes(url string, gzip bool, workers, each int) ([]float64, int) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: workers}}
	var mu sync.Mutex
	var times []float64
	size := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
				if gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(start).Seconds()
				mu.Lock()
				times = append(times, d)
				size = int(n)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return times, size
}

func vmHWM(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func ms(x float64) string { return fmt.Sprintf("%.0f ms", x*1000) }

func printTable(w io.Writer, ran []*scenario) {
	row := func(label string, f func(sc *scenario, r *result) string) {
		fmt.Fprintf(w, "| %s |", label)
		for _, sc := range ran {
			cell := "-"
			if sc.result.err == nil {
				cell = f(sc, sc.result)
			} else {
				cell = "failed"
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "| scenario (%d brokers) |", brokers)
	for _, sc := range ran {
		fmt.Fprintf(w, " %s |", sc.name)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|")
	for range ran {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	row("partitions / groups / committed partitions", func(sc *scenario, _ *result) string {
		return fmt.Sprintf("%d / %d / %d", sc.partitionsN, sc.groups, sc.committedN)
	})
	row("series per scrape", func(_ *scenario, r *result) string { return strconv.Itoa(r.series) })
	apis := map[string]bool{}
	for _, sc := range ran {
		for api := range sc.result.requests {
			apis[api] = true
		}
	}
	var names []string
	for api := range apis {
		names = append(names, api)
	}
	sort.Strings(names)
	for _, api := range names {
		row("requests per poll: "+api, func(_ *scenario, r *result) string { return fmt.Sprintf("%.2g", r.requests[api]) })
	}
	row(fmt.Sprintf("requests per poll, total (target <= 6 x %d + 4 = %d)", brokers, 6*brokers+4), func(_ *scenario, r *result) string {
		t := 0.0
		for _, n := range r.requests {
			t += n
		}
		return fmt.Sprintf("%.3g", t)
	})
	row("poll duration incl. rendering p50 / p99", func(_ *scenario, r *result) string {
		return ms(quantile(r.polls, 0.5)) + " / " + ms(quantile(r.polls, 0.99)) + fmt.Sprintf(" (%d polls)", len(r.polls))
	})
	row("of which rendering p50", func(_ *scenario, r *result) string { return ms(quantile(r.renders, 0.5)) })
	scrape := func(xs []float64) string {
		if len(xs) == 0 {
			return "-"
		}
		return ms(quantile(xs, 0.5)) + " / " + ms(quantile(xs, 0.99))
	}
	row("scrape gzip p50 / p99 (100 sequential)", func(_ *scenario, r *result) string { return scrape(r.gzipSeq) })
	row("scrape gzip p50 / p99 (8 concurrent x 25)", func(_ *scenario, r *result) string { return scrape(r.gzipConc) })
	row("scrape plain p50 / p99 (20 sequential)", func(_ *scenario, r *result) string { return scrape(r.text) })
	row("scrape size gzip", func(_ *scenario, r *result) string {
		if r.gzipBytes == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f MB", float64(r.gzipBytes)/1e6)
	})
	row("peak RSS (VmHWM)", func(_ *scenario, r *result) string { return fmt.Sprintf("%.0f MB", float64(r.hwmKB)/1024) })

	byName := map[string]*scenario{}
	for _, sc := range ran {
		byName[sc.name] = sc
	}
	small, noGroups, full := byName["small"], byName["20k no groups"], byName["20k"]
	if small != nil && noGroups != nil && full != nil && small.result.err == nil && noGroups.result.err == nil && full.result.err == nil {
		perPartition := float64(noGroups.result.hwmKB-small.result.hwmKB) * 1024 / float64(noGroups.partitionsN-small.partitionsN)
		perCommitted := float64(full.result.hwmKB-noGroups.result.hwmKB) * 1024 / float64(full.committedN)
		fmt.Fprintf(w, "\nbytes per partition (peak RSS, 20k no groups - small): %.0f; per committed partition (20k - 20k no groups): %.0f\n", perPartition, perCommitted)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(w, "load average at the end: %s", b)
	}
}
