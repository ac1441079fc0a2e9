package dev.streamscope.vertex.seams;

/** Time as the runtime sees it. Production reads the system clock; the simulator, virtual time. */
public interface Clock {
  long nowMillis();

  /** The system clock: the one production binding. */
  Clock SYSTEM = System::currentTimeMillis;
}
