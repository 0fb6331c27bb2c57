{{/* The release's base name: the release name, or <release>-warden when it does not say warden. */}}
{{- define "warden.fullname" -}}
{{- if contains "warden" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-warden" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object; call with (dict "root" $ "component" "nats"). */}}
{{- define "warden.labels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: warden
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "warden.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Spread replicas over nodes (soft) and zones (soft). */}}
{{- define "warden.spread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "warden.selectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "warden.selectorLabels" . | nindent 8 }}
{{- end -}}

{{/* Hard anti-affinity: never two members of a quorum on one node (NATS, MongoDB). */}}
{{- define "warden.antiAffinity" -}}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "warden.selectorLabels" . | nindent 12 }}
{{- end -}}

{{/* NATS client URL: the client Service; the server's INFO gossips every cluster member's URL, so
     the client fails over to the others when the one it holds goes away. */}}
{{- define "warden.natsUrl" -}}
{{- printf "nats://%s-nats.%s.svc:4222" (include "warden.fullname" .) .Release.Namespace -}}
{{- end -}}

{{- define "warden.temporalAddress" -}}
{{- printf "%s-temporal-frontend.%s.svc:7233" (include "warden.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* prometheus.yml: every pod of this release annotated prometheus.io/scrape (Warden services on
     their ops port, the NATS exporter, Temporal), with the alert rules. */}}
{{- define "warden.prometheusConfig" -}}
global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files:
  - rules/warden-rules.yaml
scrape_configs:
  - job_name: warden
    kubernetes_sd_configs:
      - role: pod
        namespaces:
          names: [{{ .Release.Namespace }}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_part_of, __meta_kubernetes_pod_label_app_kubernetes_io_instance]
        regex: warden;{{ .Release.Name }}
        action: keep
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        regex: "true"
        action: keep
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        regex: (.+)
        target_label: __metrics_path__
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        regex: ([^:]+)(?::\d+)?;(\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
        target_label: component
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
{{- end -}}
