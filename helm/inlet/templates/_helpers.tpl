{{/* Chart name, truncated to the 63 characters Kubernetes allows in names and labels. */}}
{{- define "inlet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or the release name alone when it already contains the chart name. */}}
{{- define "inlet.fullname" -}}
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

{{- define "inlet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "inlet.labels" -}}
helm.sh/chart: {{ include "inlet.chart" . }}
{{ include "inlet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels are immutable on a Deployment: never add anything release-varying here. */}}
{{- define "inlet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "inlet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one component (api, worker, migrate). Call with (dict "ctx" $ "component" "api"). */}}
{{- define "inlet.componentSelectorLabels" -}}
{{ include "inlet.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "inlet.componentLabels" -}}
{{ include "inlet.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "inlet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "inlet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository@digest when a digest is pinned (the tag is then ignored), else repository:tag. */}}
{{- define "inlet.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "inlet.clamavImage" -}}
{{- $i := .Values.clamav.image }}
{{- if $i.digest }}{{ printf "%s@%s" $i.repository $i.digest }}{{ else }}{{ printf "%s:%s" $i.repository $i.tag }}{{ end }}
{{- end }}

{{- define "inlet.secretName" -}}
{{- required "existingSecret.name is required: create a Secret with DATABASE_URL and INLET_MASTER_KEYS and name it here" .Values.existingSecret.name }}
{{- end }}

{{/*
Non-secret environment as a flat map of strings: values.config plus what the chart itself decides
(HOST, PORT). Empty values are left out so the application default applies. Numbers from values
files arrive as float64 and are printed as integers (never 5.24288e+07).
*/}}
{{- define "inlet.configData" -}}
HOST: "0.0.0.0"
PORT: {{ .Values.api.containerPort | int64 | quote }}
METRICS_PORT: {{ .Values.metrics.port | int64 | quote }}
{{- if .Values.clamav.enabled }}
CLAMD_HOST: {{ printf "%s-clamav" (include "inlet.fullname" .) | quote }}
{{- end }}
{{- range $key, $value := .Values.config }}
{{- if and $.Values.clamav.enabled (eq $key "CLAMD_HOST") }}
{{- else if or (kindIs "float64" $value) (kindIs "int64" $value) (kindIs "int" $value) }}
{{ $key }}: {{ $value | int64 | quote }}
{{- else if ne (toString $value) "" }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Secret variables, always from the existing Secret by reference. The operator key is optional: when
the key is absent from the Secret the variable stays unset and the operator API is disabled.
Serve and worker get DATABASE_URL (the application login role); only the migrate Job, called with
(dict "ctx" $ "owner" true), also gets DATABASE_OWNER_URL.
*/}}
{{- define "inlet.secretEnv" -}}
{{- $ctx := .ctx | default . }}
{{- with $ctx }}
{{- if $.owner }}
- name: DATABASE_OWNER_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "inlet.secretName" . }}
      key: {{ .Values.existingSecret.keys.databaseOwnerUrl }}
      # A Secret from before the split has none: the Job then migrates with DATABASE_URL, and the
      # api and worker (production) refuse that owner URL with a message naming DATABASE_OWNER_URL.
      optional: true
{{- end }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "inlet.secretName" . }}
      key: {{ .Values.existingSecret.keys.databaseUrl }}
- name: INLET_MASTER_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "inlet.secretName" . }}
      key: {{ .Values.existingSecret.keys.masterKeys }}
- name: INLET_OPERATOR_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "inlet.secretName" . }}
      key: {{ .Values.existingSecret.keys.operatorKey }}
      optional: true
- name: GOOGLE_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "inlet.secretName" . }}
      key: {{ .Values.existingSecret.keys.googleClientSecret | default "GOOGLE_CLIENT_SECRET" }}
      optional: true
- name: MICROSOFT_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "inlet.secretName" . }}
      key: {{ .Values.existingSecret.keys.microsoftClientSecret | default "MICROSOFT_CLIENT_SECRET" }}
      optional: true
- name: VAULT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "inlet.secretName" . }}
      key: {{ .Values.existingSecret.keys.vaultToken | default "VAULT_TOKEN" }}
      optional: true
{{- end }}
{{- end }}

{{/* extraEnv after the chart's own entries (a later entry of the same name wins). */}}
{{- define "inlet.extraEnv" -}}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The /tmp mount every container has, then extraVolumeMounts. */}}
{{- define "inlet.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Configured SHUTDOWN_TIMEOUT_MS (application default 8000). */}}
{{- define "inlet.shutdownTimeoutMs" -}}
{{- $v := .Values.config.SHUTDOWN_TIMEOUT_MS | default "" | toString }}
{{- if eq $v "" }}8000{{ else }}{{ $v | int64 }}{{ end }}
{{- end }}

{{/*
The process exits on its own SHUTDOWN_TIMEOUT_MS + 2 s after SIGTERM; the kubelet's grace period
must be longer (plus any preStop sleep) or in-flight jobs and requests are killed mid-way.
Call with (dict "ctx" $ "grace" N "preStop" N "what" "api").
*/}}
{{- define "inlet.checkGrace" -}}
{{- $needMs := add (include "inlet.shutdownTimeoutMs" .ctx | int64) 2000 (mul (.preStop | int64) 1000) }}
{{- if le (mul (.grace | int64) 1000) $needMs }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) must exceed %vms (SHUTDOWN_TIMEOUT_MS + 2000 + preStop)" .what .grace $needMs) }}
{{- end }}
{{- end }}

{{/*
The bundled clamd refuses a stream longer than StreamMaxLength ("INSTREAM size limit exceeded"), so an
attachment of a message Inlet accepts (up to INGEST_MAX_MESSAGE_BYTES, application default 50 MiB)
could never be scanned clean: refuse that pairing here rather than in production. K and M are clamd's
1024-based multipliers.
*/}}
{{- define "inlet.checkStreamMaxLength" -}}
{{- $raw := .Values.clamav.streamMaxLength | toString }}
{{- $n := regexReplaceAll "[KM]$" $raw "" | int64 }}
{{- $bytes := $n }}
{{- if hasSuffix "K" $raw }}{{ $bytes = mul $n 1024 }}{{ end }}
{{- if hasSuffix "M" $raw }}{{ $bytes = mul $n 1048576 }}{{ end }}
{{- $max := .Values.config.INGEST_MAX_MESSAGE_BYTES | default 52428800 | int64 }}
{{- if lt $bytes $max }}
{{- fail (printf "clamav.streamMaxLength (%s = %d bytes) must be at least config.INGEST_MAX_MESSAGE_BYTES (%d), or clamd refuses the largest attachments Inlet accepts" $raw $bytes $max) }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every pod of the release. */}}
{{- define "inlet.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpSizeLimit }}
  {{- with .Values.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
