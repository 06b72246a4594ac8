package io.eoscope.curvature.io;

/** Helpers that keep error messages on one readable line, whatever a file holds. */
final class Messages {
    private static final int LONGEST_NAME = 80;

    private Messages() {}

    /**
     * A name from a file in single quotes, control characters escaped and long names shortened, so
     * that a hostile header cannot break the one-line message.
     */
    static String quote(String name) {
        StringBuilder sb = new StringBuilder("'");
        int end = Math.min(name.length(), LONGEST_NAME);
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (end < name.length()) {
            sb.append("...");
        }
        return sb.append('\'').toString();
    }

    /** The first line of a possibly multi-line text (Gson appends a help link on a second line). */
    static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return (nl < 0 ? text : text.substring(0, nl)).replace('\r', ' ');
    }
}
