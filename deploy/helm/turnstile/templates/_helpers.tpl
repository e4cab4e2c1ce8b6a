{{/* Names and labels. */}}
{{- define "turnstile.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "turnstile.fullname" -}}
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

{{- define "turnstile.selectorLabels" -}}
app.kubernetes.io/name: {{ include "turnstile.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "turnstile.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "turnstile.selectorLabels" . }}
app.kubernetes.io/version: {{ (.Values.image.tag | default .Chart.AppVersion) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "turnstile.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "turnstile.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "turnstile.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "turnstile.fullname" .) -}}
{{- end -}}

{{/* Where the Secret's signing key is mounted, and the file token.signingKey names. */}}
{{- define "turnstile.signingKeyDir" -}}/var/run/secrets/turnstile{{- end -}}

{{/* The store URL, SQLite on the data volume by default. */}}
{{- define "turnstile.storeUrl" -}}
{{- (.Values.config.store | default dict).url | default "jdbc:sqlite:/data/turnstile.db" -}}
{{- end -}}

{{/* "true" when the store is PostgreSQL, empty otherwise. */}}
{{- define "turnstile.postgres" -}}
{{- if hasPrefix "jdbc:postgresql:" (include "turnstile.storeUrl" .) -}}true{{- end -}}
{{- end -}}

{{/* "true" when the store needs a password from the Secret: a PostgreSQL user is named. */}}
{{- define "turnstile.storePassword" -}}
{{- if (.Values.config.store | default dict).username -}}true{{- end -}}
{{- end -}}

{{/* "true" when the admin port has a Service of its own. */}}
{{- define "turnstile.separateAdminService" -}}
{{- if or .Values.service.separateAdminService (ne .Values.service.type "ClusterIP") -}}true{{- end -}}
{{- end -}}

{{/* "true" when /data is a PersistentVolumeClaim: SQLite with persistence on. */}}
{{- define "turnstile.persistent" -}}
{{- if and .Values.persistence.enabled (not (include "turnstile.postgres" .)) -}}true{{- end -}}
{{- end -}}

{{- define "turnstile.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "turnstile.fullname" .)) -}}
{{- end -}}

{{/* server.publicUrl: the value, else the Ingress host, else what a port-forward reaches. */}}
{{- define "turnstile.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl | trimSuffix "/" -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- else -}}
{{- printf "http://127.0.0.1:%v" .Values.service.port -}}
{{- end -}}
{{- end -}}

{{/* The environment variable an upstream's password reaches the configuration through. */}}
{{- define "turnstile.upstreamPasswordEnv" -}}
{{- printf "TURNSTILE_UPSTREAM_%d_PASSWORD" . -}}
{{- end -}}

{{/*
Stops the rendering when values contradict each other or would put a secret into the ConfigMap.
Included by every template that depends on the values it checks, so `helm template -s` fails too.
*/}}
{{- define "turnstile.validate" -}}
{{- $c := .Values.config | default dict -}}
{{- if and (gt (int .Values.replicas) 1) (not (include "turnstile.postgres" .)) -}}
{{- fail (printf "replicas: %d replicas need a PostgreSQL store: set config.store.url to jdbc:postgresql://... (SQLite, the default, has one writer on one pod's volume)" (int .Values.replicas)) -}}
{{- end -}}
{{- /* Keys the chart sets itself, with the value to use instead. */ -}}
{{- $owned := dict
  "server" (dict "listen" "ports.registry" "publicUrl" "publicUrl")
  "admin" (dict "listen" "ports.admin" "token" "secrets.adminToken or secrets.existingSecret"
                "oidc" "oidc" "publicUrl" "oidc.publicUrl")
  "token" (dict "signingKey" "secrets.signingKey or secrets.existingSecret")
  "licenseFiles" (dict "signingKey" "secrets.licenseSigningKey or secrets.existingSecret")
  "store" (dict "encryptionKey" "secrets.storeEncryptionKey or secrets.existingSecret"
                "encryptionKeyFile" "secrets.storeEncryptionKey or secrets.existingSecret"
                "password" "secrets.storePassword or secrets.existingSecret") -}}
{{- range $section, $keys := $owned -}}
{{- $given := index $c $section | default dict -}}
{{- range $key, $instead := $keys -}}
{{- if hasKey $given $key -}}
{{- fail (printf "config.%s.%s: set by the chart; use %s" $section $key $instead) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $i, $u := $c.upstreams -}}
{{- if and $u.password (not (contains "${" (toString $u.password))) -}}
{{- fail (printf "config.upstreams[%d].password: a password would be stored in the ConfigMap; use secrets.upstreamPasswords.%s (or ${VAR} with extraEnv)" $i ($u.name | default "NAME")) -}}
{{- end -}}
{{- if and $u.username (not $u.password) (not $.Values.secrets.existingSecret) (not (hasKey $.Values.secrets.upstreamPasswords (toString $u.name))) -}}
{{- fail (printf "config.upstreams[%d] (%s) has a username: set secrets.upstreamPasswords.%s, or secrets.existingSecret with the key upstream-%s-password" $i $u.name $u.name $u.name) -}}
{{- end -}}
{{- end -}}
{{- if and (include "turnstile.storePassword" .) (not .Values.secrets.existingSecret) (not .Values.secrets.storePassword) -}}
{{- fail "config.store.username is set: set secrets.storePassword, or secrets.existingSecret with the key store-password" -}}
{{- end -}}
{{- if and .Values.secrets.adminToken (lt (len .Values.secrets.adminToken) 16) -}}
{{- fail "secrets.adminToken: must be at least 16 characters" -}}
{{- end -}}
{{- if and .Values.secrets.storeEncryptionKey (ne (len (b64dec .Values.secrets.storeEncryptionKey)) 32) -}}
{{- fail "secrets.storeEncryptionKey: must be base64 of 32 bytes (openssl rand -base64 32)" -}}
{{- end -}}
{{- $oidc := .Values.oidc | default dict -}}
{{- if $oidc.issuer -}}
{{- if not $oidc.clientId -}}
{{- fail "oidc.clientId: required with oidc.issuer" -}}
{{- end -}}
{{- if not $oidc.publicUrl -}}
{{- fail "oidc.publicUrl: required with oidc.issuer: the console's URL as browsers reach it (the redirect URI is <publicUrl>/console/oidc/callback)" -}}
{{- end -}}
{{- if and (not ($oidc.clientSecret | default dict).existingSecret) (not .Values.secrets.existingSecret) (not .Values.secrets.oidcClientSecret) -}}
{{- fail "oidc.issuer is set: set secrets.oidcClientSecret, or oidc.clientSecret.existingSecret (and .key) naming a Secret that holds it" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) -}}
{{- fail "ingress.host: required when ingress.enabled is true" -}}
{{- end -}}
{{- end -}}
