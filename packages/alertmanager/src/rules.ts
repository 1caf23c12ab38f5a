import { regexRule as patternRule } from '@atlas/core';

export { goDuration } from '@atlas/core';

/** A label matcher in Alertmanager's syntax, with the value always double-quoted: `severity=~"critical|page"`. */
export const matcher = patternRule(
  String.raw`^ *[a-zA-Z_][a-zA-Z0-9_]* *(=~|!~|!=|=) *"([^"\\]|\\.)*" *$`,
  'a matcher such as severity="critical" (label name, one of = != =~ !~, double-quoted value)',
);

/** A Prometheus label name. */
export const labelName = patternRule('^[a-zA-Z_][a-zA-Z0-9_]*$', 'a label name such as alertname');

/** A label to group by; `...` groups by every label. */
export const groupByLabel = patternRule(
  String.raw`^([a-zA-Z_][a-zA-Z0-9_]*|\.\.\.)$`,
  'a label name such as alertname, or "..." for all labels',
);

/** Written into the daemon's argument line too, so no spaces, quotes or backslashes. */
export const httpUrl = patternRule(
  String.raw`^https?://[^ "'\\]+$`,
  'an http:// or https:// URL without spaces or quotes',
);

export const receiverName = patternRule(
  '^[a-zA-Z0-9_.-]+$',
  'a name of letters, digits, ".", "_" and "-"',
);

export const emailAddress = patternRule(
  '^[^@ ]+@[^@ ]+$',
  'an email address such as ops@example.com',
);

export const smarthost = patternRule('^[^ :]+:[0-9]+$', 'host:port such as smtp.example.com:587');

export const slackChannel = patternRule(
  '^[#@]?[a-zA-Z0-9._-]+$',
  'a Slack channel such as #alerts (or a channel or user id)',
);

/** Slack incoming-webhook URLs are always https. */
export const slackApiUrl = patternRule(
  '^https://[^ ]+$',
  'an https:// URL (the Slack incoming webhook)',
);
