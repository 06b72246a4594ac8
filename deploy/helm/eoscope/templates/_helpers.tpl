{{/* Chart name. */}}
{{- define "eoscope.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource-name prefix: <release>-<chart>, or the release name when it already holds the chart name. */}}
{{- define "eoscope.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's resource name: (dict "root" $ "component" "gateway"). */}}
{{- define "eoscope.componentName" -}}
{{- printf "%s-%s" (include "eoscope.fullname" .root | trunc 50 | trimSuffix "-") .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: (dict "root" $ "component" "gateway"). */}}
{{- define "eoscope.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eoscope.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* All labels: (dict "root" $ "component" "gateway"); component may be "". */}}
{{- define "eoscope.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "eoscope.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: eoscope
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The image: (dict "root" $ "image" <an image map that may override repository and tag>). */}}
{{- define "eoscope.image" -}}
{{- $image := .root.Values.image -}}
{{- $repository := $image.repository -}}
{{- $tag := default .root.Chart.AppVersion $image.tag -}}
{{- if .image -}}
{{- $repository = default $repository .image.repository -}}
{{- $tag = default $tag .image.tag -}}
{{- end -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}

{{- define "eoscope.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "eoscope.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Strimzi cluster's name. */}}
{{- define "eoscope.strimziCluster" -}}
{{- default (printf "%s-kafka" (include "eoscope.fullname" .)) .Values.kafka.strimzi.clusterName | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{/* The bootstrap address the services use. */}}
{{- define "eoscope.bootstrapServers" -}}
{{- if .Values.kafka.strimzi.enabled -}}
{{- printf "%s-kafka-bootstrap:9092" (include "eoscope.strimziCluster" .) -}}
{{- else -}}
{{- required "kafka.bootstrapServers is required: host:port of an existing Kafka cluster (or set kafka.strimzi.enabled)" .Values.kafka.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{/* The snapshots topic, which the analyzers' consumer group reads. */}}
{{- define "eoscope.snapshotsTopic" -}}
{{- printf "%ssnapshots" .Values.kafka.topicPrefix -}}
{{- end -}}

{{/*
The most analyzer pods that can all get work: each pod is analyzer.instances consumers of the group, and a
partition goes to one consumer, so ceil(kafka.partitions / analyzer.instances).
*/}}
{{- define "eoscope.analyzerPodCeiling" -}}
{{- $instances := int64 .Values.analyzer.instances -}}
{{- div (add (int64 .Values.kafka.partitions) $instances -1) $instances -}}
{{- end -}}

{{- define "eoscope.kafkaConfigPath" -}}/etc/eoscope/kafka/client/{{ .Values.kafka.clientConfig.key }}{{- end -}}

{{/* The Kafka options every service command shares, as a JSON list. */}}
{{- define "eoscope.kafkaArgs" -}}
{{- $args := list "--bootstrap-servers" (include "eoscope.bootstrapServers" .) "--topic-prefix" .Values.kafka.topicPrefix "--partitions" (printf "%d" (int64 .Values.kafka.partitions)) -}}
{{- if .Values.kafka.clientConfig.secretName -}}
{{- $args = concat $args (list "--kafka-config" (include "eoscope.kafkaConfigPath" .)) -}}
{{- end -}}
{{- range $key, $value := .Values.kafka.properties -}}
{{- $args = concat $args (list "--kafka-property" (printf "%s=%v" $key $value)) -}}
{{- end -}}
{{- toJson $args -}}
{{- end -}}

{{/* Volumes every eoscope pod has: /tmp and the Kafka client Secrets. */}}
{{- define "eoscope.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmp.sizeLimit }}
    {{- with .Values.tmp.medium }}
    medium: {{ . }}
    {{- end }}
{{- with .Values.kafka.clientConfig.secretName }}
- name: kafka-client
  secret:
    secretName: {{ . }}
    items:
      - key: {{ $.Values.kafka.clientConfig.key }}
        path: {{ $.Values.kafka.clientConfig.key }}
{{- end }}
{{- with .Values.kafka.tls.secretName }}
- name: kafka-tls
  secret:
    secretName: {{ . }}
{{- end }}
{{- end -}}

{{- define "eoscope.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.clientConfig.secretName }}
- name: kafka-client
  mountPath: /etc/eoscope/kafka/client
  readOnly: true
{{- end }}
{{- if .Values.kafka.tls.secretName }}
- name: kafka-tls
  mountPath: {{ .Values.kafka.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* Environment of every eoscope container, then the component's own (a list). */}}
{{- define "eoscope.env" -}}
- name: JAVA_TOOL_OPTIONS
  value: {{ .root.Values.javaToolOptions | quote }}
- name: DJL_OFFLINE
  value: "true"
- name: OPT_OUT_TRACKING
  value: "true"
- name: DJL_CACHE_DIR
  value: /tmp/djl
{{- with .env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The pod's security context: non-root, the image's uid, RuntimeDefault seccomp. */}}
{{- define "eoscope.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ int64 .Values.securityContext.runAsUser }}
runAsGroup: {{ int64 .Values.securityContext.runAsGroup }}
fsGroup: {{ int64 .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "eoscope.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/*
Checksum of what configures the Kafka clients (values, Secret names and keys). A change rolls the pods;
a change inside a referenced Secret does not (kubectl rollout restart does).
*/}}
{{- define "eoscope.kafkaChecksum" -}}
{{- dict "kafka" .Values.kafka "bootstrap" (include "eoscope.bootstrapServers" .) | toJson | sha256sum -}}
{{- end -}}

{{/*
A topic's retention.ms from a retention value: (dict "key" "kafka.retention.snapshots" "value" "30d").
forever is -1; <n>m, <n>h and <n>d are minutes, hours and days. Prints an integer.
*/}}
{{- define "eoscope.retentionMs" -}}
{{- $value := toString .value -}}
{{- if eq $value "forever" -}}
-1
{{- else if regexMatch "^[1-9][0-9]{0,8}[mhd]$" $value -}}
{{- $unit := dict "m" 60000 "h" 3600000 "d" 86400000 -}}
{{- $suffix := substr (sub (len $value) 1 | int) (len $value) $value -}}
{{- mul (trimSuffix $suffix $value | int64) (get $unit $suffix) -}}
{{- else -}}
{{- fail (printf "%s: %q is not forever or a duration <n>m, <n>h or <n>d (such as 90m, 12h, 30d)" .key $value) -}}
{{- end -}}
{{- end -}}

{{/*
A topic's retention.bytes (per partition) from a size value: (dict "key" "kafka.retention.snapshotBytes" "value" "50GiB").
unlimited is -1; <n>MiB, <n>GiB and <n>TiB are powers of 1024. Prints an integer.
*/}}
{{- define "eoscope.retentionBytes" -}}
{{- $value := toString .value -}}
{{- if eq $value "unlimited" -}}
-1
{{- else if regexMatch "^[1-9][0-9]{0,5}[MGT]iB$" $value -}}
{{- $unit := dict "MiB" 1048576 "GiB" 1073741824 "TiB" 1099511627776 -}}
{{- $suffix := substr (sub (len $value) 3 | int) (len $value) $value -}}
{{- mul (trimSuffix $suffix $value | int64) (get $unit $suffix) -}}
{{- else -}}
{{- fail (printf "%s: %q is not unlimited or a size <n>MiB, <n>GiB or <n>TiB (such as 500MiB, 50GiB)" .key $value) -}}
{{- end -}}
{{- end -}}
