/**
 * Log4j2 configurations for the JVMs the rig launches. Kafka 4 logs through SLF4J 1.7 into log4j2, and its
 * defaults are chatty at INFO; the rig keeps WARN and above plus the few INFO lines that say a node started
 * or stopped, so the broker log is short enough to quote in an error message.
 */

/** The broker's config: everything to stdout, which the rig redirects into `<stateDir>/node-<id>/broker.log`. */
export function brokerLog4jConfig(): string {
  return [
    'status = error',
    'appender.out.type = Console',
    'appender.out.name = STDOUT',
    'appender.out.target = SYSTEM_OUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = WARN',
    'rootLogger.appenderRef.out.ref = STDOUT',
    // These classes log one INFO line each on start-up and shutdown; they make the log readable.
    'logger.raftServer.name = kafka.server.KafkaRaftServer',
    'logger.raftServer.level = INFO',
    'logger.brokerServer.name = kafka.server.BrokerServer',
    'logger.brokerServer.level = INFO',
    'logger.controllerServer.name = kafka.server.ControllerServer',
    'logger.controllerServer.level = INFO',
    '',
  ].join('\n')
}

/** The command-line tools' config: warnings only, to stderr, so their stdout carries nothing but results. */
export function toolsLog4jConfig(): string {
  return [
    'status = error',
    'appender.err.type = Console',
    'appender.err.name = STDERR',
    'appender.err.target = SYSTEM_ERR',
    'appender.err.layout.type = PatternLayout',
    'appender.err.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = WARN',
    'rootLogger.appenderRef.err.ref = STDERR',
    '',
  ].join('\n')
}
