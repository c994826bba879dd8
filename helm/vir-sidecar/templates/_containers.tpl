{{/*
The containers of a vir-sidecar pod. OPA, and in sidecar mode vir-sidecar
itself, are native sidecar containers (init containers with restartPolicy:
Always): each starts only once the one before it passes its startup probe, and
on shutdown each stops only after the containers that depend on it have
exited, so vir-sidecar drains in-flight checks while OPA still answers. With
policy.settingsFrom, an init container first writes the settings bundle.
*/}}

{{- define "vir-sidecar.settingsContainer" -}}
{{- $v := .Values }}
{{- $from := include "vir-sidecar.settingsFromName" . }}
{{- $source := index $v.policy.settingsFrom $from }}
- name: settings
  image: {{ include "vir-sidecar.imageRef" (list $v.image .Chart.AppVersion) | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  # The force's settings file merged over the shipped defaults, written as the
  # bundle OPA serves at vir/config. A file that cannot be read or is not a
  # mapping stops the pod here; the policy's own checks of the settings run when
  # vir-sidecar starts, and refuse settings with a bad entry by name.
  args:
    - settings
    - build
    - /etc/vir-sidecar/settings-source/{{ $source.key }}
    - --defaults=/etc/vir-sidecar/settings-defaults/{{ include "vir-sidecar.settingsDefaultsFile" . }}
    - --out={{ include "vir-sidecar.settingsBundlePath" . }}
  resources:
    {{- toYaml $v.sidecar.resources | nindent 4 }}
  securityContext:
    {{- include "vir-sidecar.containerSecurityContext" (list .Values.containerSecurityContext nil nil) | trim | nindent 4 }}
  volumeMounts:
    - name: settings
      mountPath: {{ include "vir-sidecar.settingsBundleDir" . }}
    - name: settings-source
      mountPath: /etc/vir-sidecar/settings-source
      readOnly: true
    - name: settings-defaults
      mountPath: /etc/vir-sidecar/settings-defaults
      readOnly: true
{{- end }}

{{- define "vir-sidecar.opaContainer" -}}
{{- $opa := .Values.opa }}
- name: opa
  image: {{ include "vir-sidecar.imageRef" (list $opa.image "") | quote }}
  imagePullPolicy: {{ $opa.image.pullPolicy }}
  restartPolicy: Always
  args:
    - run
    - --server
    # OPA's API is a unix socket on a volume only OPA and vir-sidecar mount: no
    # TCP port, so no other container of the pod (which shares the network
    # namespace) can query OPA, or take its address and answer for it.
    - --addr=unix://{{ include "vir-sidecar.opaSocket" . }}
    - --unix-socket-perm=600
    # Read-only /health and /metrics for the kubelet's probes: OPA's static image
    # has no shell for exec probes, and the kubelet cannot reach a unix socket.
    # vir-sidecar never reads it, it serves no decisions, it is not in the
    # Service, and the NetworkPolicy admits no one to it.
    - --diagnostic-addr={{ printf ":%v" $opa.diagnosticPort }}
    {{- if eq .Values.policy.source "bundle" }}
    - --config-file=/etc/opa/config/opa-config.yaml
    - --set-file=keys.{{ .Values.policy.bundle.keyId }}.key=/etc/opa/bundle-key/{{ .Values.policy.bundle.signingKeySecret.key }}
    # The settings bundle (vir/config) beside the downloaded rules; the key
    # above verifies the rules only.
    - --bundle
    {{- else }}
    # The rules bundle built from policies/ (make chart-bundle), from the
    # ConfigMap, then the settings bundle (vir/config).
    - --bundle
    - {{ include "vir-sidecar.policyBundlePath" . }}
    {{- end }}
    - {{ include "vir-sidecar.settingsBundlePath" . }}
    - --skip-version-check
    - --log-level={{ $opa.logLevel }}
  env:
    - name: GOGC
      value: {{ $opa.gogc | quote }}
  ports:
    - name: opa-health
      containerPort: {{ $opa.diagnosticPort }}
      protocol: TCP
  startupProbe:
    {{- include "vir-sidecar.opaProbe" (list . "startup") | trim | nindent 4 }}
  readinessProbe:
    {{- include "vir-sidecar.opaProbe" (list . "readiness") | trim | nindent 4 }}
  livenessProbe:
    {{- include "vir-sidecar.opaProbe" (list . "liveness") | trim | nindent 4 }}
  resources:
    {{- toYaml $opa.resources | nindent 4 }}
  securityContext:
    {{- include "vir-sidecar.containerSecurityContext" (list .Values.containerSecurityContext nil nil) | trim | nindent 4 }}
  volumeMounts:
    - name: opa-socket
      mountPath: {{ include "vir-sidecar.opaSocketDir" . }}
    {{- if eq .Values.policy.source "bundle" }}
    - name: opa-config
      mountPath: /etc/opa/config
      readOnly: true
    - name: bundle-key
      mountPath: /etc/opa/bundle-key
      readOnly: true
    {{- if .Values.policy.bundle.bearerTokenSecret.name }}
    - name: bundle-token
      mountPath: /etc/opa/bundle-token
      readOnly: true
    {{- end }}
    {{- if .Values.policy.bundle.caSecret.name }}
    - name: bundle-ca
      mountPath: /etc/opa/bundle-ca
      readOnly: true
    {{- end }}
    {{- else }}
    - name: policies
      mountPath: {{ include "vir-sidecar.policyBundleDir" . }}
      readOnly: true
    {{- end }}
    {{- if include "vir-sidecar.settingsFromName" . }}
    - name: settings
      mountPath: {{ include "vir-sidecar.settingsBundleDir" . }}
      readOnly: true
    {{- else }}
    # File by file (subPath): OPA reads a bundle directory's plain files, not
    # the links a ConfigMap volume is made of.
    - name: settings
      mountPath: {{ include "vir-sidecar.settingsBundlePath" . }}/vir/config/data.json
      subPath: data.json
      readOnly: true
    - name: settings
      mountPath: {{ include "vir-sidecar.settingsBundlePath" . }}/.manifest
      subPath: manifest
      readOnly: true
    {{- end }}
{{- end }}

{{- define "vir-sidecar.sidecarContainer" -}}
{{- $v := .Values }}
- name: vir-sidecar
  image: {{ include "vir-sidecar.imageRef" (list $v.image .Chart.AppVersion) | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  {{- if eq $v.mode "sidecar" }}
  restartPolicy: Always
  {{- end }}
  args:
    - serve
    - --listen={{ include "vir-sidecar.grpcListen" . }}
    - --metrics-listen={{ include "vir-sidecar.hostPort" (list $v.listenAddress $v.metrics.port) }}
    # OPA's socket on the volume shared with the opa container only. vir-sidecar
    # checks every connection's peer (SO_PEERCRED): it must run as vir-sidecar's
    # own user. Its pid cannot be checked, as each container has its own pid
    # namespace.
    - --opa-url=unix://{{ include "vir-sidecar.opaSocket" . }}
    # The policy revision of each decision is the pair OPA names for the
    # bundles that made it (their manifests' revisions, read with ?provenance):
    # rules@...+settings@.... vir-sidecar asks OPA once for the policy's checks
    # of the settings it serves, and does not start if they find a problem.
    - --opa-timeout={{ $v.sidecar.opaTimeout }}
    - --audit-dir=/var/lib/vir-sidecar/audit
    - --audit-key-file=/etc/vir-sidecar/audit-key/{{ $v.audit.keySecret.key }}
    - {{ ternary "--audit-fsync" "--no-audit-fsync" $v.audit.fsync }}
    - --audit-max-file-bytes={{ $v.audit.maxFileBytes | int64 }}
    - --grace-period={{ $v.sidecar.gracePeriod }}
    - --health-interval={{ $v.sidecar.healthInterval }}
    - --max-message-bytes={{ $v.sidecar.maxMessageBytes | int64 }}
    - --log-format={{ $v.sidecar.logFormat }}
    - --log-level={{ $v.sidecar.logLevel }}
    {{- if $v.tls.enabled }}
    - --tls-cert=/etc/vir-sidecar/tls/tls.crt
    - --tls-key=/etc/vir-sidecar/tls/tls.key
    {{- if $v.tls.clientAuth.enabled }}
    - --tls-client-ca=/etc/vir-sidecar/client-ca/{{ $v.tls.clientAuth.caKey }}
    {{- end }}
    {{- else if eq $v.mode "pdp" }}
    - --insecure
    {{- end }}
    {{- if $v.clearance.keysSecret.name }}
    - --clearance-keys=/etc/vir-sidecar/clearance/{{ $v.clearance.keysSecret.key }}
    {{- end }}
  {{- with $v.sidecar.extraEnv }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.sidecar.extraEnvFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    {{- if eq $v.mode "pdp" }}
    - name: grpc
      containerPort: {{ $v.grpc.port }}
      protocol: TCP
    {{- end }}
    - name: metrics
      containerPort: {{ $v.metrics.port }}
      protocol: TCP
  startupProbe:
    {{- include "vir-sidecar.sidecarProbe" (list . "startup") | trim | nindent 4 }}
  readinessProbe:
    {{- include "vir-sidecar.sidecarProbe" (list . "readiness") | trim | nindent 4 }}
  livenessProbe:
    {{- include "vir-sidecar.sidecarProbe" (list . "liveness") | trim | nindent 4 }}
  resources:
    {{- toYaml $v.sidecar.resources | nindent 4 }}
  securityContext:
    {{- include "vir-sidecar.containerSecurityContext" (list .Values.containerSecurityContext nil nil) | trim | nindent 4 }}
  volumeMounts:
    # Read-only: connecting to a socket needs no write access to the volume, so
    # vir-sidecar cannot replace OPA's socket either.
    - name: opa-socket
      mountPath: {{ include "vir-sidecar.opaSocketDir" . }}
      readOnly: true
    - name: audit
      mountPath: /var/lib/vir-sidecar
    - name: tmp
      mountPath: /tmp
    - name: audit-key
      mountPath: /etc/vir-sidecar/audit-key
      readOnly: true
    {{- if $v.clearance.keysSecret.name }}
    - name: clearance-keys
      mountPath: /etc/vir-sidecar/clearance
      readOnly: true
    {{- end }}
    {{- if $v.tls.enabled }}
    - name: tls
      mountPath: /etc/vir-sidecar/tls
      readOnly: true
    {{- if $v.tls.clientAuth.enabled }}
    - name: client-ca
      mountPath: /etc/vir-sidecar/client-ca
      readOnly: true
    - name: probe-client
      mountPath: /etc/vir-sidecar/probe-client
      readOnly: true
    {{- end }}
    {{- end }}
    {{- with $v.sidecar.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{- define "vir-sidecar.appContainer" -}}
{{- $app := .Values.app }}
- name: {{ $app.name }}
  image: {{ include "vir-sidecar.imageRef" (list $app.image "") | quote }}
  imagePullPolicy: {{ $app.image.pullPolicy }}
  {{- with $app.command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $app.args }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  env:
    # Where your records system calls Check: vir-sidecar, in this pod only.
    - name: VIR_SIDECAR_ADDRESS
      value: {{ printf "127.0.0.1:%v" .Values.grpc.port | quote }}
    {{- with $app.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $app.envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $app.ports }}
  ports:
    {{- range . }}
    - name: {{ .name }}
      containerPort: {{ .containerPort }}
      protocol: {{ .protocol | default "TCP" }}
    {{- end }}
  {{- end }}
  {{- with $app.startupProbe }}
  startupProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $app.readinessProbe }}
  readinessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $app.livenessProbe }}
  livenessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  resources:
    {{- toYaml $app.resources | nindent 4 }}
  securityContext:
    {{- include "vir-sidecar.containerSecurityContext" (list $app.securityContext $app.securityContext.runAsUser $app.securityContext.runAsGroup) | trim | nindent 4 }}
  volumeMounts:
    - name: app-tmp
      mountPath: /tmp
    {{- with $app.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
