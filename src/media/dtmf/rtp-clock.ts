/** RTP clock rate of telephone-event at narrowband (RFC 4733 §2.1). */
export const RTP_CLOCK_RATE_HZ = 8000;
