package io.turnstile.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The leak check itself: a buffer dropped without release is reported. */
@LeakCheckExtension.ExpectsLeaks
class LeakCheckTest {
  @Test
  void anUnreleasedBuffer_isReported() {
    LeakCheckExtension.collectLeaks();
    leak();
    assertThat(LeakCheckExtension.collectLeaks()).anySatisfy(l -> assertThat(l).contains("ByteBuf leaked"));
  }

  private static void leak() {
    ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
    b.writeLong(42);
  }
}
