{{/*
Names, labels and shared fragments of the vir-sidecar chart.
*/}}

{{- define "vir-sidecar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name alone when it already
contains the chart name; at most 52 characters so that StatefulSet pod names
(with the controller-revision-hash label) and "-headless" stay within limits.
*/}}
{{- define "vir-sidecar.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vir-sidecar.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vir-sidecar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vir-sidecar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vir-sidecar.labels" -}}
helm.sh/chart: {{ include "vir-sidecar.chart" . }}
{{ include "vir-sidecar.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vir-sidecar
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of the helm test pod: deliberately outside the release's selector. */}}
{{- define "vir-sidecar.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "vir-sidecar.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vir-sidecar.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vir-sidecar.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* An image reference from {repository, tag, digest}; $default is the tag when none is set. */}}
{{- define "vir-sidecar.imageRef" -}}
{{- $image := index . 0 }}
{{- $tag := default (index . 1) $image.tag }}
{{- $ref := $image.repository }}
{{- if $tag }}{{ $ref = printf "%s:%s" $ref $tag }}{{ end }}
{{- if $image.digest }}{{ $ref = printf "%s@%s" $ref $image.digest }}{{ end }}
{{- $ref }}
{{- end }}

{{/* HOST:PORT, with an IPv6 host in brackets. */}}
{{- define "vir-sidecar.hostPort" -}}
{{- $host := index . 0 }}
{{- if and (contains ":" $host) (not (hasPrefix "[" $host)) }}
{{- printf "[%s]:%v" $host (index . 1) }}
{{- else }}
{{- printf "%s:%v" $host (index . 1) }}
{{- end }}
{{- end }}

{{/* Address vir-sidecar's gRPC listens on: the pod IP in pdp mode, loopback in sidecar mode. */}}
{{- define "vir-sidecar.grpcListen" -}}
{{- if eq .Values.mode "pdp" }}
{{- include "vir-sidecar.hostPort" (list .Values.listenAddress .Values.grpc.port) }}
{{- else }}
{{- printf "127.0.0.1:%v" .Values.grpc.port }}
{{- end }}
{{- end }}

{{/* The name probes and tests expect in the server certificate. */}}
{{- define "vir-sidecar.tlsServerName" -}}
{{- default (printf "%s.%s.svc" (include "vir-sidecar.fullname" .) .Release.Namespace) .Values.tls.serverName }}
{{- end }}

{{/* Native gRPC probes reach the sidecar only in pdp mode without TLS. */}}
{{- define "vir-sidecar.nativeGrpcProbes" -}}
{{- if and (eq .Values.mode "pdp") (not .Values.tls.enabled) }}true{{ end }}
{{- end }}

{{/*
Command of the exec health probe, as a JSON list: the image's
`vir-sidecar health` against the sidecar on loopback.
*/}}
{{- define "vir-sidecar.execProbeCommand" -}}
{{- $cmd := list "vir-sidecar" "health" "--address" (printf "127.0.0.1:%v" .Values.grpc.port) "--timeout" "3" }}
{{- if .Values.tls.enabled }}
{{- $cmd = concat $cmd (list "--tls-ca" "/etc/vir-sidecar/tls/ca.crt" "--server-name" (include "vir-sidecar.tlsServerName" .)) }}
{{- if .Values.tls.clientAuth.enabled }}
{{- $cmd = concat $cmd (list "--tls-cert" "/etc/vir-sidecar/probe-client/tls.crt" "--tls-key" "/etc/vir-sidecar/probe-client/tls.key") }}
{{- end }}
{{- end }}
{{- toJson $cmd }}
{{- end }}

{{/* One probe of the vir-sidecar container: (list $ "startup"|"readiness"|"liveness"). */}}
{{- define "vir-sidecar.sidecarProbe" -}}
{{- $ := index . 0 }}
{{- $timing := index $.Values.sidecar.probes (index . 1) }}
{{- if include "vir-sidecar.nativeGrpcProbes" $ }}
grpc:
  port: {{ $.Values.grpc.port }}
{{- else }}
exec:
  command:
    {{- include "vir-sidecar.execProbeCommand" $ | fromJsonArray | toYaml | nindent 4 }}
{{- end }}
periodSeconds: {{ $timing.periodSeconds }}
timeoutSeconds: {{ $timing.timeoutSeconds }}
failureThreshold: {{ $timing.failureThreshold }}
{{- end }}

{{/* One probe of the OPA container: (list $ "startup"|"readiness"|"liveness"). */}}
{{/* The directory of OPA's unix socket: an emptyDir only the opa and vir-sidecar containers mount. */}}
{{- define "vir-sidecar.opaSocketDir" -}}
/run/opa
{{- end }}

{{/* OPA's unix socket, where OPA listens and vir-sidecar connects. */}}
{{- define "vir-sidecar.opaSocket" -}}
{{ include "vir-sidecar.opaSocketDir" . }}/opa.sock
{{- end }}

{{- define "vir-sidecar.opaProbe" -}}
{{- $ := index . 0 }}
{{- $kind := index . 1 }}
{{- $timing := index $.Values.opa.probes $kind }}
httpGet:
  path: {{ ternary "/health" "/health?bundles" (eq $kind "liveness") }}
  port: opa-health
periodSeconds: {{ $timing.periodSeconds }}
timeoutSeconds: {{ $timing.timeoutSeconds }}
failureThreshold: {{ $timing.failureThreshold }}
{{- end }}

{{/*
The security context of a container: (list $overrides runAsUser runAsGroup).
Of the overrides only seccompProfile and seLinuxOptions are taken; the fields
of the restricted Pod Security Standard are then set whatever was given, so
no value (even with schema validation skipped) renders a weaker container.
*/}}
{{- define "vir-sidecar.containerSecurityContext" -}}
{{- $overrides := index . 0 | default dict }}
{{- $user := index . 1 }}
{{- $group := index . 2 }}
{{- if $user }}
runAsUser: {{ $user }}
{{- end }}
{{- if $group }}
runAsGroup: {{ $group }}
{{- end }}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
{{- include "vir-sidecar.restrictedProfiles" $overrides }}
{{- end }}

{{/* The pod's security context, with the same restricted fields re-asserted. */}}
{{- define "vir-sidecar.podSecurityContext" -}}
{{- $psc := .Values.podSecurityContext }}
{{- if lt (int $psc.runAsUser) 1 }}
{{- fail "podSecurityContext.runAsUser must not be 0: the restricted Pod Security Standard forbids running as root" }}
{{- end }}
runAsNonRoot: true
runAsUser: {{ $psc.runAsUser }}
runAsGroup: {{ $psc.runAsGroup }}
fsGroup: {{ $psc.fsGroup }}
fsGroupChangePolicy: OnRootMismatch
{{- with $psc.supplementalGroups }}
supplementalGroups:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- include "vir-sidecar.restrictedProfiles" $psc }}
{{- end }}

{{/*
The built policy bundle packaged in the chart (files/vir-policy.tar.gz, written
by `make chart-bundle`), and where the opa container finds it.
*/}}
{{- define "vir-sidecar.policyBundleFile" -}}vir-policy.tar.gz{{- end }}
{{- define "vir-sidecar.policyBundleDir" -}}/policy{{- end }}
{{- define "vir-sidecar.policyBundlePath" -}}
{{- printf "%s/%s" (include "vir-sidecar.policyBundleDir" .) (include "vir-sidecar.policyBundleFile" .) }}
{{- end }}

{{/* Checks of values that the schema cannot express; each fails with what to set. */}}
{{- define "vir-sidecar.validate" -}}
{{- $v := .Values }}
{{- if not $v.audit.keySecret.name }}
{{- fail "audit.keySecret.name is required: name the Secret holding the audit HMAC key (64+ hex digits, e.g. `openssl rand -hex 32`); see docs/kubernetes.md" }}
{{- end }}
{{- if and (not $v.clearance.keysSecret.name) (not $v.clearance.allowUnsigned) }}
{{- fail "clearance.keysSecret.name is required: name the Secret holding the JWKS of the forces' clearance-signing keys. Without it unsigned clearances are accepted; to allow that knowingly (never in production) set clearance.allowUnsigned=true" }}
{{- end }}
{{- if and (eq $v.mode "pdp") (not $v.tls.enabled) (not $v.grpc.insecure) }}
{{- fail "pdp mode serves gRPC on the pod IP: set tls.enabled=true with tls.secretName, or grpc.insecure=true to serve plaintext (only on a network encrypted by other means)" }}
{{- end }}
{{- if and $v.tls.enabled (not $v.tls.secretName) (not $v.tls.certManager.enabled) }}
{{- fail "tls.secretName is required when tls.enabled is true: a kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt (or set tls.certManager.enabled=true to have cert-manager issue it)" }}
{{- end }}
{{- if and (eq $v.mode "sidecar") (not $v.app.image.repository) }}
{{- fail "sidecar mode needs your records-system container: set app.image.repository (and app.image.tag or app.image.digest)" }}
{{- end }}
{{- if eq $v.policy.source "bundle" }}
{{- if not $v.policy.bundle.url }}
{{- fail "policy.bundle.url is required when policy.source is bundle" }}
{{- end }}
{{- if not $v.policy.bundle.signingKeySecret.name }}
{{- fail "policy.bundle.signingKeySecret.name is required when policy.source is bundle: OPA only loads bundles whose signature it verifies" }}
{{- end }}
{{- if gt (int $v.policy.bundle.polling.minDelaySeconds) (int $v.policy.bundle.polling.maxDelaySeconds) }}
{{- fail "policy.bundle.polling.minDelaySeconds must not exceed maxDelaySeconds" }}
{{- end }}
{{- else if not (.Files.Get (printf "files/%s" (include "vir-sidecar.policyBundleFile" .))) }}
{{- fail "the chart holds no policy bundle at files/vir-policy.tar.gz: run make chart-bundle" }}
{{- end }}
{{- if and $v.policy.settingsFrom.configMap.name $v.policy.settingsFrom.secret.name }}
{{- fail "policy.settingsFrom: name a configMap or a secret, not both" }}
{{- end }}
{{- if and $v.policy.settings (include "vir-sidecar.settingsFromName" .) }}
{{- fail "give the force's settings in policy.settings or in policy.settingsFrom, not both" }}
{{- end }}
{{- if le (float64 $v.terminationGracePeriodSeconds) (float64 $v.sidecar.gracePeriod) }}
{{- fail "terminationGracePeriodSeconds must exceed sidecar.gracePeriod, or the kubelet kills checks still draining" }}
{{- end }}
{{- if and $v.podDisruptionBudget.enabled (not (kindIs "invalid" $v.podDisruptionBudget.minAvailable)) (not (kindIs "invalid" $v.podDisruptionBudget.maxUnavailable)) }}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable, not both (set the other to null)" }}
{{- end }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and (eq $v.mode "pdp") (or $v.app.ports $v.app.env $v.app.image.repository) }}
{{- fail "app.* describes your records-system container and is only used in sidecar mode: set mode=sidecar or remove the app values" }}
{{- end }}
{{- include "vir-sidecar.validateExtensions" . }}
{{- end }}

{{/*
The force's settings. The shipped defaults (files/vir-settings-defaults.yaml,
written by `make chart-bundle` from the policy's vir/config/data.yaml) with
policy.settings merged over them: mappings key by key, anything else
replaced, as `vir-sidecar --policy-settings` merges a settings file.
*/}}
{{- define "vir-sidecar.settingsDefaultsFile" -}}vir-settings-defaults.yaml{{- end }}
{{- define "vir-sidecar.settingsDefaults" -}}
{{- $text := .Files.Get (printf "files/%s" (include "vir-sidecar.settingsDefaultsFile" .)) }}
{{- if not $text }}
{{- fail "the chart holds no settings defaults at files/vir-settings-defaults.yaml: run make chart-bundle" }}
{{- end }}
{{- $text }}
{{- end }}

{{/* The merged settings as vir/config/data.json: JSON as Helm's toJson writes it. */}}
{{- define "vir-sidecar.settingsJson" -}}
{{- $defaults := include "vir-sidecar.settingsDefaults" . | fromYaml }}
{{- if hasKey $defaults "Error" }}
{{- fail (printf "files/vir-settings-defaults.yaml is not valid YAML: %s" $defaults.Error) }}
{{- end }}
{{- toJson (mustMergeOverwrite (deepCopy $defaults) (deepCopy (.Values.policy.settings | default dict))) }}
{{- end }}

{{/* The object named by policy.settingsFrom ("" when none): "configMap" or "secret". */}}
{{- define "vir-sidecar.settingsFromName" -}}
{{- $from := .Values.policy.settingsFrom }}
{{- if $from.configMap.name }}configMap{{ else if $from.secret.name }}secret{{ end }}
{{- end }}

{{/*
Where the opa container finds the settings bundle: a directory holding
.manifest and vir/config/data.json.
*/}}
{{- define "vir-sidecar.settingsBundleDir" -}}/etc/opa/settings{{- end }}
{{- define "vir-sidecar.settingsBundlePath" -}}
{{- printf "%s/bundle" (include "vir-sidecar.settingsBundleDir" .) }}
{{- end }}
