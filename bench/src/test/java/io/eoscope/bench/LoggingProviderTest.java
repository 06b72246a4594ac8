package io.eoscope.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.slf4j.spi.SLF4JServiceProvider;

/** One SLF4J provider on the harnesses' class path: two make SLF4J print its multiple-providers warning at every run. */
class LoggingProviderTest {
    @Test
    void exactlyOneSlf4jProvider() {
        assertThat(ServiceLoader.load(SLF4JServiceProvider.class).stream().map(p -> p.type().getName()).toList())
                .containsExactly("org.slf4j.nop.NOPServiceProvider");
    }
}
