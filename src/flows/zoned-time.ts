/** A moment as a wall clock in one time zone shows it. */
export interface ZonedParts {
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The month, day, hour, minute and weekday of `epochMs` in the IANA zone `timeZone`. */
export function zonedParts(epochMs: number, timeZone: string): ZonedParts {
  const parts = new Map(
    formatter(timeZone)
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  const num = (type: string): number => Number(parts.get(type as Intl.DateTimeFormatPartTypes) ?? 0);
  return {
    month: num('month'),
    day: num('day'),
    hour: num('hour'),
    minute: num('minute'),
    weekday: WEEKDAYS.indexOf(parts.get('weekday') ?? ''),
  };
}
