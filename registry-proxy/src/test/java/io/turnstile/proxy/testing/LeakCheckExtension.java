package io.turnstile.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a ByteBuf that was never released. It is
 * registered for every test class (JUnit extension auto-detection), so its detector factory is in
 * place before the first buffer is made; tests run with paranoid leak detection.
 */
public final class LeakCheckExtension implements AfterAllCallback {
  private static final List<String> LEAKS = new ArrayList<>();

  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
      @Override
      public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
        return new Recording<>(resource, samplingInterval);
      }
    });
  }

  private static final class Recording<T> extends ResourceLeakDetector<T> {
    Recording(Class<T> type, int samplingInterval) {
      super(type, samplingInterval);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      record(resourceType + " leaked:" + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      record(resourceType + " leaked");
      super.reportUntracedLeak(resourceType);
    }
  }

  private static synchronized void record(String leak) {
    LEAKS.add(leak);
  }

  /** Collects garbage and lets the detector look at what was collected; returns the leaks so far. */
  public static synchronized List<String> collectLeaks() {
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // The detector checks its reference queue whenever a new buffer is tracked.
      ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
      probe.release();
      ByteBuf heap = PooledByteBufAllocator.DEFAULT.heapBuffer(16);
      heap.release();
    }
    List<String> found = new ArrayList<>(LEAKS);
    LEAKS.clear();
    return found;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (context.getRequiredTestClass().isAnnotationPresent(ExpectsLeaks.class)) {
      return;
    }
    List<String> leaks = collectLeaks();
    if (!leaks.isEmpty()) {
      throw new AssertionError("Netty reported " + leaks.size() + " ByteBuf leak(s) in "
          + context.getDisplayName() + ":\n" + String.join("\n", leaks));
    }
  }

  /** Marks a test class that leaks on purpose, to show the check works. */
  @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
  @java.lang.annotation.Target(java.lang.annotation.ElementType.TYPE)
  public @interface ExpectsLeaks {}
}
