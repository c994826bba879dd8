{{/*
Extension points of the chart: annotations on every object, the restricted
security profiles, cert-manager, the ServiceMonitor switch and the checks of
these values.
*/}}

{{/*
metadata.annotations of an object, on a new line at the given indent:
(list $ $own indent). The object's own annotations win over
commonAnnotations; renders nothing when both are empty.
*/}}
{{- define "vir-sidecar.metadataAnnotations" -}}
{{- $root := index . 0 }}
{{- $all := merge (deepCopy (index . 1 | default dict)) (deepCopy ($root.Values.commonAnnotations | default dict)) }}
{{- with $all }}
{{- printf "annotations:\n%s" (toYaml . | indent 2) | nindent (index $ 2) }}
{{- end }}
{{- end }}

{{/*
seccompProfile and seLinuxOptions of a pod or container security context
from its overrides: Localhost or RuntimeDefault (anything else becomes
RuntimeDefault), and only the SELinux type and level baseline admits.
*/}}
{{- define "vir-sidecar.restrictedProfiles" -}}
{{- $overrides := . | default dict }}
{{- $seccomp := $overrides.seccompProfile | default dict }}
{{- if eq (toString $seccomp.type) "Localhost" }}
seccompProfile:
  type: Localhost
  localhostProfile: {{ required "seccompProfile.localhostProfile is required with type Localhost" $seccomp.localhostProfile | quote }}
{{- else }}
seccompProfile:
  type: RuntimeDefault
{{- end }}
{{- with $overrides.seLinuxOptions }}
{{- $selinux := pick . "type" "level" }}
{{- if and $selinux.type (not (has $selinux.type (list "container_t" "container_init_t" "container_kvm_t" "container_engine_t"))) }}
{{- fail (printf "seLinuxOptions.type %s is not admitted by the Pod Security Standards" $selinux.type) }}
{{- end }}
{{- with $selinux }}
seLinuxOptions:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Secret holding the server certificate: tls.secretName, or the one cert-manager writes. */}}
{{- define "vir-sidecar.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "vir-sidecar.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{/* Names in the cert-manager certificate, as a JSON list: the Services' names by default. */}}
{{- define "vir-sidecar.certificateDnsNames" -}}
{{- $cm := .Values.tls.certManager }}
{{- $names := $cm.dnsNames }}
{{- if not $names }}
{{- $name := include "vir-sidecar.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $names = list $name (printf "%s.%s" $name $ns) (printf "%s.%s.svc" $name $ns) (printf "%s-headless.%s.svc" $name $ns) }}
{{- $names = append $names (include "vir-sidecar.tlsServerName" .) }}
{{- end }}
{{- toJson (uniq $names) }}
{{- end }}

{{/*
Whether to render the ServiceMonitor: "true" when metrics.serviceMonitor.enabled
is true, or is "auto" and the cluster serves the API; empty otherwise.
*/}}
{{- define "vir-sidecar.serviceMonitorEnabled" -}}
{{- include "vir-sidecar.operatorObjectEnabled" (list . .Values.metrics.serviceMonitor.enabled "ServiceMonitor") }}
{{- end }}

{{/*
Whether to render a Prometheus Operator object: "true" when its switch is
true, or "auto" and the cluster serves its API. Called with (list root switch kind).
*/}}
{{- define "vir-sidecar.operatorObjectEnabled" -}}
{{- $root := index . 0 }}
{{- $enabled := toString (index . 1) }}
{{- $api := printf "monitoring.coreos.com/v1/%s" (index . 2) }}
{{- if or (eq $enabled "true") (and (eq $enabled "auto") ($root.Capabilities.APIVersions.Has $api)) }}true{{ end }}
{{- end }}

{{/* Checks of the extension values; each fails with what to change. */}}
{{- define "vir-sidecar.validateExtensions" -}}
{{- $v := .Values }}
{{- $chartLabels := list "helm.sh/chart" "app.kubernetes.io/name" "app.kubernetes.io/instance" "app.kubernetes.io/version" "app.kubernetes.io/managed-by" "app.kubernetes.io/part-of" }}
{{- range $key, $_ := $v.commonLabels }}
{{- if has $key $chartLabels }}
{{- fail (printf "commonLabels: %s is set by the chart and cannot be overridden" $key) }}
{{- end }}
{{- if hasKey ($v.podLabels | default dict) $key }}
{{- fail (printf "commonLabels and podLabels both set %s: set it in one of them" $key) }}
{{- end }}
{{- end }}
{{- range $v.sidecar.extraEnv }}
{{- if hasPrefix "VIR_" .name }}
{{- fail (printf "sidecar.extraEnv: %s is a vir-sidecar setting; set it through the chart's values, not the environment" .name) }}
{{- end }}
{{- end }}
{{- if $v.tls.certManager.enabled }}
{{- if not $v.tls.enabled }}
{{- fail "tls.certManager.enabled needs tls.enabled=true: the certificate is for vir-sidecar's gRPC TLS" }}
{{- end }}
{{- if not $v.tls.certManager.issuerRef.name }}
{{- fail "tls.certManager.issuerRef.name is required: the Issuer or ClusterIssuer that signs vir-sidecar's certificate" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
TLS flags with which a client inside the vir-sidecar container reaches it on
127.0.0.1, with the files the pod mounts (the flags of both the health probe
script and `vir-sidecar check`), as one line; empty without TLS.
*/}}
{{- define "vir-sidecar.inPodTlsFlags" -}}
{{- if .Values.tls.enabled }}
{{- printf "--tls-ca /etc/vir-sidecar/tls/ca.crt --server-name %s" (include "vir-sidecar.tlsServerName" .) }}
{{- if .Values.tls.clientAuth.enabled }} --tls-cert /etc/vir-sidecar/probe-client/tls.crt --tls-key /etc/vir-sidecar/probe-client/tls.key{{ end }}
{{- end }}
{{- end }}
