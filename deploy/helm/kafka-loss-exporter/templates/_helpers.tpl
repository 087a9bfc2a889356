{{/* Name of the chart, overridable. */}}
{{- define "kafka-loss-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects; with a clusters: entry, suffixed by its name. */}}
{{- define "kafka-loss-exporter.fullname" -}}
{{- if .clusterName }}
{{- printf "%s-%s" (include "kafka-loss-exporter.baseFullname" .) .clusterName | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- include "kafka-loss-exporter.baseFullname" . }}
{{- end }}
{{- end }}

{{/* Full name of the release (objects all clusters share). */}}
{{- define "kafka-loss-exporter.baseFullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kafka-loss-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kafka-loss-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- with .clusterName }}
kafka-loss-exporter/cluster: {{ . }}
{{- end }}
{{- end }}

{{/*
The render contexts of the per-cluster objects (Deployment, Service,
ServiceMonitor, PodDisruptionBudget, policy ConfigMap), as a YAML list of
values: without clusters:, the release's values once; with it, per entry the
release's values with the entry's keys merged over them (name is the cluster).
Each template ranges over them and renders with a root-like context whose
Values are the entry's and whose clusterName is its name ("" without
clusters:).
*/}}
{{- define "kafka-loss-exporter.clusterValues" -}}
{{- $out := list -}}
{{- if .Values.clusters }}
{{- $seen := dict -}}
{{- range .Values.clusters }}
{{- $name := required "every clusters: entry needs a name (a DNS label, used in object names and as the cluster label)" .name }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name) }}
{{- fail (printf "clusters: name %q is not a DNS label (lower-case letters, digits and -)" $name) }}
{{- end }}
{{- if hasKey $seen $name }}{{ fail (printf "clusters: name %q is given twice" $name) }}{{ end }}
{{- $_ := set $seen $name true }}
{{- $v := mustMergeOverwrite (deepCopy (omit $.Values "clusters")) (omit . "name") }}
{{- $_ := set $v "cluster" (.cluster | default $name) }}
{{- $out = append $out (dict "name" $name "values" $v) }}
{{- end }}
{{- else }}
{{- $out = append $out (dict "name" "" "values" (omit .Values "clusters")) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{- define "kafka-loss-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kafka-loss-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kafka-loss-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kafka-loss-exporter.baseFullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The exporter's command-line flags, as a YAML list. */}}
{{- define "kafka-loss-exporter.args" -}}
{{- $v := .Values -}}
{{- $a := list (printf "--web.listen-address=:%v" $v.service.port) (printf "--log.level=%s" $v.log.level) (printf "--log.format=%s" $v.log.format) -}}
{{- range required "kafka.servers must list at least one broker" $v.kafka.servers }}
{{- $a = append $a (printf "--kafka.server=%s" .) }}
{{- end }}
{{- with $v.kafka.version }}{{ $a = append $a (printf "--kafka.version=%s" .) }}{{ end }}
{{- with $v.kafka.clientId }}{{ $a = append $a (printf "--kafka.client-id=%s" .) }}{{ end }}
{{- with $v.kafka.timeout }}{{ $a = append $a (printf "--kafka.timeout=%s" .) }}{{ end }}
{{- $s := $v.kafka.sasl }}
{{- with $s.mechanism }}
{{- $a = append $a (printf "--kafka.sasl.mechanism=%s" .) }}
{{- if has . (list "plain" "scram-sha-256" "scram-sha-512") }}
{{- $a = append $a (printf "--kafka.sasl.username=%s" (required "kafka.sasl.username is required with kafka.sasl.mechanism" $s.username)) }}
{{- $_ := required "kafka.sasl.existingSecret (the Secret holding the password) is required with kafka.sasl.mechanism" $s.existingSecret }}
{{- $a = append $a (printf "--kafka.sasl.password-file=/etc/kafka-loss-exporter/sasl/%s" $s.passwordKey) }}
{{- else if eq . "oauthbearer" }}
{{- $a = append $a (printf "--kafka.sasl.oauthbearer.token-url=%s" (required "kafka.sasl.oauthbearer.tokenUrl is required with oauthbearer" $s.oauthbearer.tokenUrl)) }}
{{- $a = append $a (printf "--kafka.sasl.oauthbearer.client-id=%s" (required "kafka.sasl.oauthbearer.clientId is required with oauthbearer" $s.oauthbearer.clientId)) }}
{{- $_ := required "kafka.sasl.existingSecret (the Secret holding the client secret) is required with oauthbearer" $s.existingSecret }}
{{- $a = append $a (printf "--kafka.sasl.oauthbearer.client-secret-file=/etc/kafka-loss-exporter/sasl/%s" $s.oauthbearer.clientSecretKey) }}
{{- with $s.oauthbearer.scopes }}{{ $a = append $a (printf "--kafka.sasl.oauthbearer.scopes=%s" (join "," .)) }}{{ end }}
{{- range $k, $x := $s.oauthbearer.extensions }}{{ $a = append $a (printf "--kafka.sasl.oauthbearer.extensions=%s=%s" $k $x) }}{{ end }}
{{- else if eq . "gssapi" }}
{{- $a = append $a (printf "--kafka.sasl.username=%s" (required "kafka.sasl.username (the Kerberos principal, without realm) is required with gssapi" $s.username)) }}
{{- $a = append $a (printf "--kafka.sasl.kerberos.realm=%s" (required "kafka.sasl.kerberos.realm is required with gssapi" $s.kerberos.realm)) }}
{{- with $s.kerberos.serviceName }}{{ $a = append $a (printf "--kafka.sasl.kerberos.service-name=%s" .) }}{{ end }}
{{- $_ := required "kafka.sasl.existingSecret (the Secret holding the keytab and krb5.conf) is required with gssapi" $s.existingSecret }}
{{- $a = append $a (printf "--kafka.sasl.kerberos.keytab-file=/etc/kafka-loss-exporter/sasl/%s" $s.kerberos.keytabKey) }}
{{- $a = append $a (printf "--kafka.sasl.kerberos.config-file=/etc/kafka-loss-exporter/sasl/%s" $s.kerberos.krb5ConfKey) }}
{{- else if eq . "aws-msk-iam" }}
{{- $a = append $a (printf "--kafka.sasl.aws-msk-iam.region=%s" (required "kafka.sasl.awsMskIam.region is required with aws-msk-iam" $s.awsMskIam.region)) }}
{{- with $s.awsMskIam.roleArn }}{{ $a = append $a (printf "--kafka.sasl.aws-msk-iam.role-arn=%s" .) }}{{ end }}
{{- else }}
{{- fail (printf "kafka.sasl.mechanism %q: want plain, scram-sha-256, scram-sha-512, oauthbearer, gssapi or aws-msk-iam" .) }}
{{- end }}
{{- end }}
{{- if $v.kafka.tls.enabled }}
{{- $a = append $a "--kafka.tls.enabled" }}
{{- if $v.kafka.tls.existingSecret }}
{{- with $v.kafka.tls.caKey }}{{ $a = append $a (printf "--kafka.tls.ca-file=/etc/kafka-loss-exporter/tls/%s" .) }}{{ end }}
{{- with $v.kafka.tls.certKey }}{{ $a = append $a (printf "--kafka.tls.cert-file=/etc/kafka-loss-exporter/tls/%s" .) }}{{ end }}
{{- with $v.kafka.tls.keyKey }}{{ $a = append $a (printf "--kafka.tls.key-file=/etc/kafka-loss-exporter/tls/%s" .) }}{{ end }}
{{- end }}
{{- with $v.kafka.tls.serverName }}{{ $a = append $a (printf "--kafka.tls.server-name=%s" .) }}{{ end }}
{{- if $v.kafka.tls.insecureSkipVerify }}{{ $a = append $a "--kafka.tls.insecure-skip-verify" }}{{ end }}
{{- end }}
{{- with $v.topics.filter }}{{ $a = append $a (printf "--topic.filter=%s" .) }}{{ end }}
{{- with $v.topics.exclude }}{{ $a = append $a (printf "--topic.exclude=%s" .) }}{{ end }}
{{- with $v.consumerGroups.filter }}{{ $a = append $a (printf "--group.filter=%s" .) }}{{ end }}
{{- with $v.consumerGroups.exclude }}{{ $a = append $a (printf "--group.exclude=%s" .) }}{{ end }}
{{- with $v.poll.interval }}{{ $a = append $a (printf "--poll.interval=%s" .) }}{{ end }}
{{- with $v.poll.timeout }}{{ $a = append $a (printf "--poll.timeout=%s" .) }}{{ end }}
{{- if $v.riskPolicy }}{{ $a = append $a "--risk.config=/etc/kafka-loss-exporter/policy/risk-policy.yml" }}{{ end }}
{{- if $v.canary.enabled }}
{{- $a = append $a "--canary.enable" }}
{{- with $v.canary.topic }}{{ $a = append $a (printf "--canary.topic=%s" .) }}{{ end }}
{{- with $v.canary.interval }}{{ $a = append $a (printf "--canary.interval=%s" .) }}{{ end }}
{{- with $v.canary.lossTimeout }}{{ $a = append $a (printf "--canary.loss-timeout=%s" .) }}{{ end }}
{{- end }}
{{- if $v.web.configSecret }}{{ $a = append $a (printf "--web.config.file=/etc/kafka-loss-exporter/web/%s" $v.web.configKey) }}{{ end }}
{{- range $v.extraArgs }}{{ $a = append $a (toString .) }}{{ end }}
{{- toYaml $a }}
{{- end }}

{{/* Probe handler: HTTP(S) GET of path, or the TCP port under basic auth. */}}
{{- define "kafka-loss-exporter.probe" -}}
{{- if .root.Values.web.basicAuth }}
tcpSocket:
  port: metrics
{{- else }}
httpGet:
  path: {{ .path }}
  port: metrics
  scheme: {{ ternary "HTTPS" "HTTP" .root.Values.web.tls }}
{{- end }}
{{- end }}

{{/* The keys of kafka.sasl.existingSecret the SASL mechanism reads (none: no Secret). */}}
{{- define "kafka-loss-exporter.saslKeys" -}}
{{- $s := .Values.kafka.sasl -}}
{{- if has $s.mechanism (list "plain" "scram-sha-256" "scram-sha-512") -}}
{{ $s.passwordKey }}
{{- else if eq $s.mechanism "oauthbearer" -}}
{{ $s.oauthbearer.clientSecretKey }}
{{- else if eq $s.mechanism "gssapi" -}}
{{ $s.kerberos.keytabKey }} {{ $s.kerberos.krb5ConfKey }}
{{- end -}}
{{- end }}
