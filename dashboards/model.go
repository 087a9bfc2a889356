package dashboards

// The subset of Grafana's dashboard JSON model (schemaVersion 39) the
// generator writes. Field order is the order Grafana itself saves, so a
// dashboard exported from Grafana after an import diffs cleanly.

// SchemaVersion is the Grafana dashboard schema version written (Grafana
// 10.4 and later read it).
const SchemaVersion = 39

// Dashboard is one Grafana dashboard.
type Dashboard struct {
	Annotations          Annotations `json:"annotations"`
	Description          string      `json:"description"`
	Editable             bool        `json:"editable"`
	FiscalYearStartMonth int         `json:"fiscalYearStartMonth"`
	GraphTooltip         int         `json:"graphTooltip"`
	ID                   *int        `json:"id"` // always null: Grafana assigns it on import
	Links                []Link      `json:"links"`
	Panels               []*Panel    `json:"panels"`
	Refresh              string      `json:"refresh"`
	SchemaVersion        int         `json:"schemaVersion"`
	Tags                 []string    `json:"tags"`
	Templating           Templating  `json:"templating"`
	Time                 TimeRange   `json:"time"`
	Timepicker           struct{}    `json:"timepicker"`
	Timezone             string      `json:"timezone"`
	Title                string      `json:"title"`
	UID                  string      `json:"uid"`
	Version              int         `json:"version"`

	// FileName is the file the dashboard is written to in dashboards/.
	FileName string `json:"-"`
}

// Annotations is the dashboard's annotation list.
type Annotations struct {
	List []map[string]any `json:"list"`
}

// Link is a dashboard link.
type Link struct {
	AsDropdown  bool     `json:"asDropdown"`
	Icon        string   `json:"icon"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
	Tags        []string `json:"tags"`
	TargetBlank bool     `json:"targetBlank"`
	Title       string   `json:"title"`
	Type        string   `json:"type"`
}

// TimeRange is the default time range.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Templating holds the dashboard variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a dashboard variable (type datasource or query).
type Variable struct {
	AllValue    string         `json:"allValue,omitempty"`
	Current     map[string]any `json:"current"`
	Datasource  *Datasource    `json:"datasource,omitempty"`
	Definition  string         `json:"definition,omitempty"`
	Description string         `json:"description,omitempty"`
	Hide        int            `json:"hide"`
	IncludeAll  bool           `json:"includeAll"`
	Label       string         `json:"label"`
	Multi       bool           `json:"multi"`
	Name        string         `json:"name"`
	Options     []any          `json:"options"`
	Query       any            `json:"query"`
	Refresh     int            `json:"refresh"`
	Regex       string         `json:"regex"`
	SkipURLSync bool           `json:"skipUrlSync"`
	Sort        int            `json:"sort,omitempty"`
	Type        string         `json:"type"`
}

// Datasource references a data source; every panel and target uses the
// dashboard's datasource variable.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// promDatasource is the reference every panel, target and query variable
// carries: the `datasource` variable.
var promDatasource = &Datasource{Type: "prometheus", UID: "${datasource}"}

// Panel is one panel (stat, timeseries, table) or a row.
type Panel struct {
	Collapsed       *bool            `json:"collapsed,omitempty"`
	Datasource      *Datasource      `json:"datasource,omitempty"`
	Description     string           `json:"description,omitempty"`
	FieldConfig     *FieldConfig     `json:"fieldConfig,omitempty"`
	GridPos         GridPos          `json:"gridPos"`
	ID              int              `json:"id"`
	Options         map[string]any   `json:"options,omitempty"`
	Panels          []*Panel         `json:"panels,omitempty"`
	Targets         []Target         `json:"targets,omitempty"`
	Title           string           `json:"title"`
	Transformations []map[string]any `json:"transformations,omitempty"`
	Type            string           `json:"type"`
}

// GridPos places a panel on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// FieldConfig holds the panel's unit, thresholds, mappings and overrides.
type FieldConfig struct {
	Defaults  FieldDefaults `json:"defaults"`
	Overrides []Override    `json:"overrides"`
}

// FieldDefaults are the field settings of every series of the panel.
type FieldDefaults struct {
	Color      map[string]any   `json:"color"`
	Custom     map[string]any   `json:"custom,omitempty"`
	Decimals   *int             `json:"decimals,omitempty"`
	Links      []DataLink       `json:"links,omitempty"`
	Mappings   []map[string]any `json:"mappings"`
	Min        *float64         `json:"min,omitempty"`
	Thresholds Thresholds       `json:"thresholds"`
	Unit       string           `json:"unit"`
}

// DataLink is a link on a field's values (table cells).
type DataLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Thresholds colour values; a step applies from its value up.
type Thresholds struct {
	Mode  string `json:"mode"`
	Steps []Step `json:"steps"`
}

// Step is one threshold step; the first has a null value (from minus
// infinity).
type Step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

// Override changes field settings of the fields a matcher selects.
type Override struct {
	Matcher    map[string]any   `json:"matcher"`
	Properties []map[string]any `json:"properties"`
}

// Target is one PromQL query of a panel.
type Target struct {
	Datasource   *Datasource `json:"datasource"`
	EditorMode   string      `json:"editorMode"`
	Expr         string      `json:"expr"`
	Format       string      `json:"format,omitempty"`
	Instant      bool        `json:"instant"`
	LegendFormat string      `json:"legendFormat"`
	Range        bool        `json:"range"`
	RefID        string      `json:"refId"`
}
