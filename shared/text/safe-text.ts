// What may reach a screen from a log line. Placeholder: the logs issue's helper replaces this body with
// the full rule (SGR kept, every other escape sequence and control character visible and inert).

const CONTROL_RE = /[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]/g;
const HAS_CONTROL = /[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]/;

/** A log line's text made safe for the page and a terminal. */
export function safeLogText(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROL_RE, '\uFFFD') : text;
}
