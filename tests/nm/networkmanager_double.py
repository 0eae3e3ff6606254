# SPDX-License-Identifier: MIT
'''A NetworkManager double for tests and the simulated mode.

A python-dbusmock template that answers on the system bus as
org.freedesktop.NetworkManager, with the object tree, properties, signals,
methods and errors of NetworkManager 1.42 that libnm's NMClient reads:
the ObjectManager at /org/freedesktop, the manager, Settings and its
connection profiles, a Wi-Fi device with access points, active
connections and IPv4 configs. Activations walk through the real device
states with a configurable delay per step and fail the way NetworkManager
fails (the device's StateReason carries the reason, the active
connection goes DEACTIVATED with DEVICE_DISCONNECTED).

Run it on a private bus (see tests/simulate and tests/harness/nm_double.c):

  /usr/bin/python3 -m dbusmock --system \\
      --template tests/nm/networkmanager_double.py \\
      -p '{"scenario": "/abs/path/tests/nm/scenarios/simulate.json"}'

Parameters (a JSON object; "scenario" names a JSON file whose keys are
read first, the other keys override them):

  step_delay_ms   delay between two device states, default 100
  backend         "wpa_supplicant" (default) or "iwd": how RequestScan
                  answers while the device is busy or in AP mode
  wifi_device     false for a machine without Wi-Fi, default true
  interface       "wlan0"; hw_address "DC:A6:32:A1:B2:C3"
  loopback        true: also export "lo" as an unmanaged device
  hostname        the Settings.Hostname property, default "localhost"
  autoconnect     false turns off NetworkManager's own autoconnect
  networks        access points, see _network_from_spec()
  profiles        saved connection profiles, see _profile_from_spec()

Scripted scenarios go through a control object of its own, bus name,
object path and interface com.distiller.NetworkManagerDouble (it stays
on the bus while NetworkManager restarts); see class Control.
'''

import binascii
import json
import re
import socket
import struct
import sys
import time
import uuid as uuidlib

import dbus
import dbus.lowlevel
import dbus.service
from gi.repository import GLib

BUS_NAME = 'org.freedesktop.NetworkManager'
MAIN_OBJ = '/org/freedesktop'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

CONTROL_NAME = 'com.distiller.NetworkManagerDouble'
CONTROL_PATH = '/com/distiller/NetworkManagerDouble'
CONTROL_IFACE = 'com.distiller.NetworkManagerDouble'

OM_IFACE = 'org.freedesktop.DBus.ObjectManager'
PROPS_IFACE = 'org.freedesktop.DBus.Properties'
NM_IFACE = 'org.freedesktop.NetworkManager'
NM_PATH = '/org/freedesktop/NetworkManager'
SETTINGS_IFACE = NM_IFACE + '.Settings'
SETTINGS_PATH = NM_PATH + '/Settings'
CONNECTION_IFACE = SETTINGS_IFACE + '.Connection'
DEVICE_IFACE = NM_IFACE + '.Device'
WIRELESS_IFACE = DEVICE_IFACE + '.Wireless'
LOOPBACK_IFACE = DEVICE_IFACE + '.Loopback'
AP_IFACE = NM_IFACE + '.AccessPoint'
ACTIVE_IFACE = NM_IFACE + '.Connection.Active'
IP4_IFACE = NM_IFACE + '.IP4Config'

ROOT = dbus.ObjectPath('/')

# NMState
NM_STATE_DISCONNECTED = 20
NM_STATE_CONNECTING = 40
NM_STATE_CONNECTED_LOCAL = 50
NM_STATE_CONNECTED_GLOBAL = 70

# NMConnectivityState
CONNECTIVITY_NONE = 1
CONNECTIVITY_FULL = 4

# NMDeviceType
DEVICE_TYPE_WIFI = 2
DEVICE_TYPE_LOOPBACK = 32

# NMDeviceState
UNMANAGED = 10
UNAVAILABLE = 20
DISCONNECTED = 30
PREPARE = 40
CONFIG = 50
NEED_AUTH = 60
IP_CONFIG = 70
IP_CHECK = 80
SECONDARIES = 90
ACTIVATED = 100
DEACTIVATING = 110
FAILED = 120

# NMDeviceStateReason, values from libnm's nm-dbus-interface.h
REASON_NONE = 0
REASON_NOW_MANAGED = 2
REASON_IP_CONFIG_UNAVAILABLE = 5
REASON_NO_SECRETS = 7
REASON_SUPPLICANT_DISCONNECT = 8
REASON_SUPPLICANT_TIMEOUT = 11
REASON_DHCP_FAILED = 17
REASON_REMOVED = 36
REASON_USER_REQUESTED = 39
REASON_SSID_NOT_FOUND = 53
REASON_NEW_ACTIVATION = 60

# NMActiveConnectionState and NMActiveConnectionStateReason
AC_ACTIVATING = 1
AC_ACTIVATED = 2
AC_DEACTIVATING = 3
AC_DEACTIVATED = 4
AC_REASON_UNKNOWN = 0
AC_REASON_DEVICE_DISCONNECTED = 3
AC_REASON_DEVICE_REMOVED = 14

# NMActivationStateFlags
AC_FLAG_LAYER2_READY = 0x4
AC_FLAG_IP4_READY = 0x8

# NM80211Mode
MODE_INFRA = 2
MODE_AP = 3

# NM80211ApFlags and NM80211ApSecurityFlags
AP_FLAGS_PRIVACY = 0x1
SEC_PAIR_WEP40 = 0x1
SEC_PAIR_WEP104 = 0x2
SEC_PAIR_TKIP = 0x4
SEC_PAIR_CCMP = 0x8
SEC_GROUP_WEP40 = 0x10
SEC_GROUP_WEP104 = 0x20
SEC_GROUP_TKIP = 0x40
SEC_GROUP_CCMP = 0x80
SEC_KEY_MGMT_PSK = 0x100
SEC_KEY_MGMT_802_1X = 0x200
SEC_KEY_MGMT_SAE = 0x400

# NMSettingsConnectionFlags and the AddConnection2 flags
CONN_FLAG_UNSAVED = 0x1
CONN_FLAG_VOLATILE = 0x4
ADD2_TO_DISK = 0x1
ADD2_IN_MEMORY = 0x2
ADD2_BLOCK_AUTOCONNECT = 0x20

# what each security kind of the scenario files looks like on the air:
# (Flags, WpaFlags, RsnFlags)
_CCMP = SEC_PAIR_CCMP | SEC_GROUP_CCMP
_TKIP = SEC_PAIR_TKIP | SEC_GROUP_TKIP
SECURITY_KINDS = {
    'open': (0, 0, 0),
    'wep': (AP_FLAGS_PRIVACY, 0, 0),
    'wpa': (AP_FLAGS_PRIVACY, _TKIP | SEC_KEY_MGMT_PSK, 0),
    'wpa-wpa2': (AP_FLAGS_PRIVACY, _TKIP | SEC_KEY_MGMT_PSK,
                 _CCMP | SEC_KEY_MGMT_PSK),
    'wpa2': (AP_FLAGS_PRIVACY, 0, _CCMP | SEC_KEY_MGMT_PSK),
    'wpa2-wpa3': (AP_FLAGS_PRIVACY, 0,
                  _CCMP | SEC_KEY_MGMT_PSK | SEC_KEY_MGMT_SAE),
    'wpa3': (AP_FLAGS_PRIVACY, 0, _CCMP | SEC_KEY_MGMT_SAE),
    'enterprise': (AP_FLAGS_PRIVACY, 0, _CCMP | SEC_KEY_MGMT_802_1X),
}

# how an activation on a given network ends (see Model._join_steps)
BEHAVIOURS = ('accept', 'wrong-password', 'not-found', 'timeout',
              'dhcp-fail', 'hang', 'vanish')

# the settings NetworkManager 1.42 knows; others are "unknown setting name"
KNOWN_SETTINGS = {
    'connection', '802-11-wireless', '802-11-wireless-security', '802-1x',
    'ipv4', 'ipv6', 'proxy', 'match', 'ethtool', 'user', 'hostname',
    '802-3-ethernet', 'loopback', 'tc', 'sriov', 'dcb', 'wifi-p2p',
}
SECRET_KEYS = {'psk', 'wep-key0', 'wep-key1', 'wep-key2', 'wep-key3',
               'leap-password', 'password', 'private-key-password'}

PERMISSIONS = (
    'enable-disable-network', 'enable-disable-wifi', 'network-control',
    'settings.modify.own', 'settings.modify.system',
    'settings.modify.hostname', 'settings.modify.global-dns',
    'wifi.scan', 'wifi.share.open', 'wifi.share.protected',
    'checkpoint-rollback', 'reload', 'sleep-wake',
)


def _log(text):
    '''One line per event on stdout; the harness keeps it in a file.'''
    sys.stdout.write(f'{time.monotonic():.3f} nm-double: {text}\n')
    sys.stdout.flush()


def _boottime_ms():
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * 1000)


def _paths(objs):
    return dbus.Array([dbus.ObjectPath(o.path) for o in objs], signature='o')


def _path(obj):
    return dbus.ObjectPath(obj.path) if obj else ROOT


def _ssid_text(ssid):
    return bytes(ssid).decode('utf-8', 'backslashreplace')


def _ip4_u32(addr):
    '''An IPv4 address as NetworkManager's "au" arrays carry it.'''
    return dbus.UInt32(struct.unpack('=I', socket.inet_aton(addr))[0])


# --- errors, with NetworkManager's D-Bus error names ----------------------


class NMError(dbus.DBusException):
    def __init__(self, name, message):
        super().__init__(message, name=name)


def _manager_error(kind, message):
    return NMError(NM_IFACE + '.' + kind, message)


def _settings_error(kind, message):
    return NMError(SETTINGS_IFACE + '.' + kind, message)


def _connection_error(kind, message):
    return NMError(CONNECTION_IFACE + '.' + kind, message)


def _device_error(kind, message):
    return NMError(DEVICE_IFACE + '.' + kind, message)


# --- exported objects --------------------------------------------------


class ExportedObject(dbus.service.Object):
    '''A NetworkManager object: interfaces with properties, on one path.

    Every property change goes out as one standard PropertiesChanged
    signal per interface, as NetworkManager sends it.
    '''

    WRITABLE = ()

    # dbusmock replaces dbus-python's method lookup with one that looks
    # at these first; ours are all declared with decorators
    methods = {}
    interface = None

    def __init__(self, model, path, interfaces):
        self.model = model
        self.path = path
        self.interfaces = interfaces
        super().__init__(model.bus, path)

    def set(self, iface, **changes):
        changed = {}
        props = self.interfaces[iface]
        for name, value in changes.items():
            if name not in props:
                raise KeyError(f'{self.path}: no property {iface}.{name}')
            if props[name] == value and type(props[name]) is type(value):
                continue
            props[name] = value
            changed[name] = value
        if changed:
            self.model.emit(self.path, PROPS_IFACE, 'PropertiesChanged',
                            'sa{sv}as', iface, changed, [])

    def get(self, iface, name):
        return self.interfaces[iface][name]

    def unexport(self):
        self.remove_from_connection()

    @dbus.service.method(PROPS_IFACE, in_signature='ss', out_signature='v')
    def Get(self, iface, name):
        try:
            return self.interfaces[iface][name]
        except KeyError:
            raise NMError('org.freedesktop.DBus.Error.InvalidArgs',
                          f'No such interface or property '
                          f'"{iface}.{name}"') from None

    @dbus.service.method(PROPS_IFACE, in_signature='s',
                         out_signature='a{sv}')
    def GetAll(self, iface):
        if iface not in self.interfaces:
            raise NMError('org.freedesktop.DBus.Error.UnknownInterface',
                          f'No such interface "{iface}"')
        return dbus.Dictionary(self.interfaces[iface], signature='sv')

    @dbus.service.method(PROPS_IFACE, in_signature='ssv', out_signature='')
    def Set(self, iface, name, value):
        if (iface, name) not in self.WRITABLE:
            raise NMError('org.freedesktop.DBus.Error.PropertyReadOnly',
                          f'Property "{name}" is not writable')
        self.model.record('Set', {'property': f'{iface}.{name}',
                                  'value': value})
        self.set_writable(iface, name, value)

    def set_writable(self, iface, name, value):
        pass


class AccessPoint(ExportedObject):
    def __init__(self, model, path, net):
        self.net = net
        flags, wpa, rsn = SECURITY_KINDS[net['security']]
        visible_ssid = b'' if net['hidden'] else net['ssid']
        super().__init__(model, path, {AP_IFACE: {
            'Flags': dbus.UInt32(flags),
            'WpaFlags': dbus.UInt32(wpa),
            'RsnFlags': dbus.UInt32(rsn),
            'Ssid': dbus.ByteArray(visible_ssid),
            'Frequency': dbus.UInt32(net['frequency']),
            'HwAddress': dbus.String(net['bssid']),
            'Mode': dbus.UInt32(net.get('mode', MODE_INFRA)),
            'MaxBitrate': dbus.UInt32(net['max_bitrate']),
            'Strength': dbus.Byte(net['strength']),
            'LastSeen': dbus.Int32(int(_boottime_ms() / 1000)),
        }})

    @property
    def ssid(self):
        '''The SSID as the air shows it: empty for a hidden network until
        a join revealed it.'''
        return bytes(self.get(AP_IFACE, 'Ssid'))


class IP4Config(ExportedObject):
    def __init__(self, model, path, address, prefix, gateway, dns):
        gw = gateway or '0.0.0.0'
        super().__init__(model, path, {IP4_IFACE: {
            'Addresses': dbus.Array([dbus.Array(
                [_ip4_u32(address), dbus.UInt32(prefix), _ip4_u32(gw)],
                signature='u')], signature='au'),
            'AddressData': dbus.Array([dbus.Dictionary(
                {'address': dbus.String(address),
                 'prefix': dbus.UInt32(prefix)}, signature='sv')],
                signature='a{sv}'),
            'Gateway': dbus.String(gateway or ''),
            'Routes': dbus.Array([], signature='au'),
            'RouteData': dbus.Array([], signature='a{sv}'),
            'NameserverData': dbus.Array(
                [dbus.Dictionary({'address': dbus.String(d)},
                                 signature='sv') for d in dns],
                signature='a{sv}'),
            'Nameservers': dbus.Array([_ip4_u32(d) for d in dns],
                                      signature='u'),
            'Domains': dbus.Array([], signature='s'),
            'Searches': dbus.Array([], signature='s'),
            'DnsOptions': dbus.Array([], signature='s'),
            'DnsPriority': dbus.Int32(600),
            'WinsServerData': dbus.Array([], signature='s'),
            'WinsServers': dbus.Array([], signature='u'),
        }})


class ActiveConnection(ExportedObject):
    def __init__(self, model, path, profile, device, specific):
        s_con = profile.settings['connection']
        self.profile = profile
        self.device = device
        self.reason = AC_REASON_UNKNOWN
        super().__init__(model, path, {ACTIVE_IFACE: {
            'Connection': dbus.ObjectPath(profile.path),
            'SpecificObject': _path(specific),
            'Id': dbus.String(s_con['id']),
            'Uuid': dbus.String(s_con['uuid']),
            'Type': dbus.String(s_con['type']),
            'Devices': _paths([device]),
            'State': dbus.UInt32(AC_ACTIVATING),
            'StateFlags': dbus.UInt32(0),
            'Default': dbus.Boolean(False),
            'Ip4Config': ROOT,
            'Dhcp4Config': ROOT,
            'Default6': dbus.Boolean(False),
            'Ip6Config': ROOT,
            'Dhcp6Config': ROOT,
            'Vpn': dbus.Boolean(False),
            'Master': ROOT,
        }})

    @property
    def state(self):
        return int(self.get(ACTIVE_IFACE, 'State'))

    def set_state(self, state, reason, **more):
        if self.state == state:
            return
        self.reason = reason
        self.set(ACTIVE_IFACE, State=dbus.UInt32(state), **more)
        self.model.emit(self.path, ACTIVE_IFACE, 'StateChanged', 'uu',
                        dbus.UInt32(state), dbus.UInt32(reason))


class Profile(ExportedObject):
    '''A connection profile in Settings (Settings.Connection).'''

    def __init__(self, model, path, settings, flags, filename):
        self.settings = settings
        self.autoconnect_retries = 4
        self.autoconnect_blocked = False
        self.timestamp = 0
        super().__init__(model, path, {CONNECTION_IFACE: {
            'Unsaved': dbus.Boolean(bool(flags & CONN_FLAG_UNSAVED)),
            'Flags': dbus.UInt32(flags),
            'Filename': dbus.String(filename),
        }})

    @property
    def uuid(self):
        return str(self.settings['connection']['uuid'])

    @property
    def id(self):
        return str(self.settings['connection']['id'])

    @property
    def flags(self):
        return int(self.get(CONNECTION_IFACE, 'Flags'))

    def wireless(self, key, default=None):
        return self.settings.get('802-11-wireless', {}).get(key, default)

    @property
    def ssid(self):
        return bytes(self.wireless('ssid', b''))

    @property
    def is_hotspot(self):
        return self.wireless('mode') == 'ap'

    def security(self, key, default=None):
        return self.settings.get('802-11-wireless-security', {}).get(
            key, default)

    def public_settings(self):
        out = dbus.Dictionary({}, signature='sa{sv}')
        for name, setting in self.settings.items():
            out[name] = dbus.Dictionary(
                {k: v for k, v in setting.items() if k not in SECRET_KEYS},
                signature='sv')
        return out

    @dbus.service.method(CONNECTION_IFACE, in_signature='',
                         out_signature='a{sa{sv}}')
    def GetSettings(self):
        return self.public_settings()

    @dbus.service.method(CONNECTION_IFACE, in_signature='s',
                         out_signature='a{sa{sv}}')
    def GetSecrets(self, setting_name):
        self.model.record('GetSecrets', {'setting': setting_name})
        setting = self.settings.get(setting_name, {})
        secrets = {k: v for k, v in setting.items() if k in SECRET_KEYS}
        return dbus.Dictionary(
            {setting_name: dbus.Dictionary(secrets, signature='sv')},
            signature='sa{sv}')

    @dbus.service.method(CONNECTION_IFACE, in_signature='a{sa{sv}}',
                         out_signature='', byte_arrays=True)
    def Update(self, settings):
        self.model.record('Update', {'path': self.path}, settings)
        self.model.update_profile(self, settings, None)

    @dbus.service.method(CONNECTION_IFACE, in_signature='a{sa{sv}}',
                         out_signature='', byte_arrays=True)
    def UpdateUnsaved(self, settings):
        self.model.record('UpdateUnsaved', {'path': self.path}, settings)
        self.model.update_profile(self, settings, CONN_FLAG_UNSAVED)

    @dbus.service.method(CONNECTION_IFACE, in_signature='a{sa{sv}}ua{sv}',
                         out_signature='a{sv}', byte_arrays=True)
    def Update2(self, settings, flags, args):
        self.model.record('Update2', {'path': self.path,
                                      'flags': dbus.UInt32(flags)},
                          settings)
        if flags & ~0x7f:
            raise _settings_error('InvalidArguments', 'Unknown flags')
        unsaved = None
        if flags & 0x1:
            unsaved = 0
        elif flags & 0xe:
            unsaved = CONN_FLAG_UNSAVED
        self.model.update_profile(self, settings or None, unsaved)
        if flags & ADD2_BLOCK_AUTOCONNECT:
            self.autoconnect_blocked = True
        return dbus.Dictionary({}, signature='sv')

    @dbus.service.method(CONNECTION_IFACE, in_signature='',
                         out_signature='')
    def Save(self):
        self.model.record('Save', {'path': self.path})
        self.model.update_profile(self, None, 0)

    @dbus.service.method(CONNECTION_IFACE, in_signature='',
                         out_signature='')
    def Delete(self):
        self.model.record('Delete', {'path': self.path})
        self.model.delete_profile(self)


class Settings(ExportedObject):
    WRITABLE = ()

    def __init__(self, model, hostname):
        super().__init__(model, SETTINGS_PATH, {SETTINGS_IFACE: {
            'Connections': dbus.Array([], signature='o'),
            'Hostname': dbus.String(hostname),
            'CanModify': dbus.Boolean(True),
        }})

    @dbus.service.method(SETTINGS_IFACE, in_signature='',
                         out_signature='ao')
    def ListConnections(self):
        return self.get(SETTINGS_IFACE, 'Connections')

    @dbus.service.method(SETTINGS_IFACE, in_signature='s',
                         out_signature='o')
    def GetConnectionByUuid(self, uuid):
        for profile in self.model.profiles:
            if profile.uuid == uuid:
                return dbus.ObjectPath(profile.path)
        raise _settings_error('InvalidConnection',
                              'No connection with the UUID was found.')

    @dbus.service.method(SETTINGS_IFACE, in_signature='a{sa{sv}}',
                         out_signature='o', byte_arrays=True)
    def AddConnection(self, settings):
        self.model.record('AddConnection', {}, settings)
        return _path(self.model.add_profile(settings, 0))

    @dbus.service.method(SETTINGS_IFACE, in_signature='a{sa{sv}}',
                         out_signature='o', byte_arrays=True)
    def AddConnectionUnsaved(self, settings):
        self.model.record('AddConnectionUnsaved', {}, settings)
        return _path(self.model.add_profile(settings, CONN_FLAG_UNSAVED))

    @dbus.service.method(SETTINGS_IFACE, in_signature='a{sa{sv}}ua{sv}',
                         out_signature='oa{sv}', byte_arrays=True)
    def AddConnection2(self, settings, flags, args):
        options = dict(args)
        options['flags'] = dbus.UInt32(flags)
        self.model.record('AddConnection2', options, settings)
        known = ADD2_TO_DISK | ADD2_IN_MEMORY | ADD2_BLOCK_AUTOCONNECT
        if flags & ~known:
            raise _settings_error('InvalidArguments', 'Unknown flags')
        persist = flags & (ADD2_TO_DISK | ADD2_IN_MEMORY)
        if persist not in (ADD2_TO_DISK, ADD2_IN_MEMORY):
            raise _settings_error(
                'InvalidArguments',
                'Requires either to-disk (0x1) or in-memory (0x2) flags')
        for key in args:
            if key != 'plugin':
                raise _settings_error('InvalidArguments',
                                      'Unsupported argument')
        unsaved = CONN_FLAG_UNSAVED if persist == ADD2_IN_MEMORY else 0
        profile = self.model.add_profile(
            settings, unsaved,
            block_autoconnect=bool(flags & ADD2_BLOCK_AUTOCONNECT))
        return (_path(profile), dbus.Dictionary({}, signature='sv'))

    @dbus.service.method(SETTINGS_IFACE, in_signature='s', out_signature='')
    def SaveHostname(self, hostname):
        self.model.record('SaveHostname', {'hostname': hostname})
        self.model.save_hostname(hostname)

    @dbus.service.method(SETTINGS_IFACE, in_signature='as',
                         out_signature='bas')
    def LoadConnections(self, filenames):
        return (True, dbus.Array(filenames, signature='s'))

    @dbus.service.method(SETTINGS_IFACE, in_signature='', out_signature='b')
    def ReloadConnections(self):
        return True


class Device(ExportedObject):
    '''org.freedesktop.NetworkManager.Device plus a type interface.'''

    WRITABLE = ((DEVICE_IFACE, 'Managed'), (DEVICE_IFACE, 'Autoconnect'))

    def __init__(self, model, path, iface, hw_address, device_type,
                 state, extra):
        self.iface = iface
        self.ip4 = None
        props = {
            'Udi': dbus.String(f'/sys/devices/virtual/net/{iface}'),
            'Path': dbus.String(''),
            'Interface': dbus.String(iface),
            'IpInterface': dbus.String(''),
            'Driver': dbus.String('brcmfmac' if device_type ==
                                  DEVICE_TYPE_WIFI else 'unknown'),
            'DriverVersion': dbus.String('7.45.241'),
            'FirmwareVersion': dbus.String('01-703fd60'),
            'Capabilities': dbus.UInt32(1),
            'Ip4Address': dbus.UInt32(0),
            'State': dbus.UInt32(state),
            'StateReason': dbus.Struct((dbus.UInt32(state),
                                        dbus.UInt32(REASON_NONE)),
                                       signature='uu'),
            'ActiveConnection': ROOT,
            'Ip4Config': ROOT,
            'Dhcp4Config': ROOT,
            'Ip6Config': ROOT,
            'Dhcp6Config': ROOT,
            'Managed': dbus.Boolean(state > UNMANAGED),
            'Autoconnect': dbus.Boolean(True),
            'FirmwareMissing': dbus.Boolean(False),
            'NmPluginMissing': dbus.Boolean(False),
            'DeviceType': dbus.UInt32(device_type),
            'AvailableConnections': dbus.Array([], signature='o'),
            'PhysicalPortId': dbus.String(''),
            'Mtu': dbus.UInt32(1500 if device_type == DEVICE_TYPE_WIFI
                               else 65536),
            'Metered': dbus.UInt32(0),
            'LldpNeighbors': dbus.Array([], signature='a{sv}'),
            'Real': dbus.Boolean(True),
            'Ip4Connectivity': dbus.UInt32(0),
            'Ip6Connectivity': dbus.UInt32(0),
            'InterfaceFlags': dbus.UInt32(0x1),
            'HwAddress': dbus.String(hw_address),
            'Ports': dbus.Array([], signature='o'),
        }
        interfaces = {DEVICE_IFACE: props}
        interfaces.update(extra)
        super().__init__(model, path, interfaces)

    @property
    def state(self):
        return int(self.get(DEVICE_IFACE, 'State'))

    def set_state(self, state, reason, **more):
        '''Moves to @state, as NetworkManager announces it: the State and
        StateReason properties change together (libnm reads only
        StateReason), then the StateChanged signal follows.'''
        old = self.state
        if old == state:
            return
        self.set(DEVICE_IFACE, State=dbus.UInt32(state),
                 StateReason=dbus.Struct((dbus.UInt32(state),
                                          dbus.UInt32(reason)),
                                         signature='uu'), **more)
        self.model.emit(self.path, DEVICE_IFACE, 'StateChanged', 'uuu',
                        dbus.UInt32(state), dbus.UInt32(old),
                        dbus.UInt32(reason))
        _log(f'{self.iface}: state {old} -> {state} (reason {reason})')

    def set_writable(self, iface, name, value):
        self.set(iface, **{name: dbus.Boolean(bool(value))})

    @dbus.service.method(DEVICE_IFACE, in_signature='', out_signature='')
    def Disconnect(self):
        self.model.record('Disconnect', {'path': self.path})
        self.model.device_disconnect(self)

    @dbus.service.method(DEVICE_IFACE, in_signature='', out_signature='')
    def Delete(self):
        raise _device_error('NotSoftware',
                            'This device is not a software device')

    @dbus.service.method(DEVICE_IFACE, in_signature='u',
                         out_signature='a{sa{sv}}t')
    def GetAppliedConnection(self, flags):
        ac = self.model.active_on(self)
        if not ac:
            raise _device_error('NotActive', 'Device is not activated')
        return (ac.profile.public_settings(), dbus.UInt64(1))


class WifiDevice(Device):
    def __init__(self, model, path, iface, hw_address, state):
        caps = (0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 |
                0x100 | 0x200 | 0x400)
        self.aps = []
        self.scan_pending = False
        self.scan_source = None
        super().__init__(model, path, iface, hw_address, DEVICE_TYPE_WIFI,
                         state, {WIRELESS_IFACE: {
                             'HwAddress': dbus.String(hw_address),
                             'PermHwAddress': dbus.String(hw_address),
                             'Mode': dbus.UInt32(MODE_INFRA),
                             'Bitrate': dbus.UInt32(0),
                             'AccessPoints': dbus.Array([], signature='o'),
                             'ActiveAccessPoint': ROOT,
                             'WirelessCapabilities': dbus.UInt32(caps),
                             'LastScan': dbus.Int64(_boottime_ms()),
                         }})

    @property
    def mode(self):
        return int(self.get(WIRELESS_IFACE, 'Mode'))

    @dbus.service.method(WIRELESS_IFACE, in_signature='',
                         out_signature='ao')
    def GetAccessPoints(self):
        return _paths([ap for ap in self.aps if not ap.net['hidden']])

    @dbus.service.method(WIRELESS_IFACE, in_signature='',
                         out_signature='ao')
    def GetAllAccessPoints(self):
        return _paths(self.aps)

    @dbus.service.method(WIRELESS_IFACE, in_signature='a{sv}',
                         out_signature='', byte_arrays=True)
    def RequestScan(self, options):
        self.model.record('RequestScan', dict(options))
        self.model.request_scan(self, options)


class LoopbackDevice(Device):
    def __init__(self, model, path):
        super().__init__(model, path, 'lo', '00:00:00:00:00:00',
                         DEVICE_TYPE_LOOPBACK, UNMANAGED,
                         {LOOPBACK_IFACE: {}})


class Manager(ExportedObject):
    WRITABLE = ((NM_IFACE, 'WirelessEnabled'),)

    def __init__(self, model, version):
        super().__init__(model, NM_PATH, {NM_IFACE: {
            'Devices': dbus.Array([], signature='o'),
            'AllDevices': dbus.Array([], signature='o'),
            'Checkpoints': dbus.Array([], signature='o'),
            'NetworkingEnabled': dbus.Boolean(True),
            'WirelessEnabled': dbus.Boolean(True),
            'WirelessHardwareEnabled': dbus.Boolean(True),
            'WwanEnabled': dbus.Boolean(False),
            'WwanHardwareEnabled': dbus.Boolean(False),
            'WimaxEnabled': dbus.Boolean(False),
            'WimaxHardwareEnabled': dbus.Boolean(False),
            'RadioFlags': dbus.UInt32(0x1),
            'ActiveConnections': dbus.Array([], signature='o'),
            'PrimaryConnection': ROOT,
            'PrimaryConnectionType': dbus.String(''),
            'Metered': dbus.UInt32(0),
            'ActivatingConnection': ROOT,
            'Startup': dbus.Boolean(False),
            'Version': dbus.String(version),
            'Capabilities': dbus.Array([], signature='u'),
            'State': dbus.UInt32(NM_STATE_DISCONNECTED),
            'Connectivity': dbus.UInt32(CONNECTIVITY_NONE),
            'ConnectivityCheckAvailable': dbus.Boolean(False),
            'ConnectivityCheckEnabled': dbus.Boolean(False),
            'ConnectivityCheckUri': dbus.String(''),
            'GlobalDnsConfiguration': dbus.Dictionary({}, signature='sv'),
        }})

    def set_writable(self, iface, name, value):
        self.model.set_wireless_enabled(bool(value))

    @dbus.service.method(NM_IFACE, in_signature='', out_signature='ao')
    def GetDevices(self):
        return self.get(NM_IFACE, 'Devices')

    @dbus.service.method(NM_IFACE, in_signature='', out_signature='ao')
    def GetAllDevices(self):
        return self.get(NM_IFACE, 'AllDevices')

    @dbus.service.method(NM_IFACE, in_signature='s', out_signature='o')
    def GetDeviceByIpIface(self, iface):
        for dev in self.model.devices:
            if dev.iface == iface:
                return dbus.ObjectPath(dev.path)
        raise _manager_error('UnknownDevice', 'No device found for the '
                             'requested iface.')

    @dbus.service.method(NM_IFACE, in_signature='', out_signature='a{ss}')
    def GetPermissions(self):
        return dbus.Dictionary(
            {NM_IFACE + '.' + p: 'yes' for p in PERMISSIONS},
            signature='ss')

    @dbus.service.method(NM_IFACE, in_signature='', out_signature='u')
    def state(self):
        return self.get(NM_IFACE, 'State')

    @dbus.service.method(NM_IFACE, in_signature='', out_signature='u')
    def CheckConnectivity(self):
        return self.get(NM_IFACE, 'Connectivity')

    @dbus.service.method(NM_IFACE, in_signature='', out_signature='ss')
    def GetLogging(self):
        return ('INFO', 'PLATFORM,WIFI,DEVICE')

    @dbus.service.method(NM_IFACE, in_signature='u', out_signature='')
    def Reload(self, flags):
        pass

    @dbus.service.method(NM_IFACE, in_signature='ooo', out_signature='o')
    def ActivateConnection(self, connection, device, specific):
        self.model.record('ActivateConnection', {
            'connection': connection, 'device': device,
            'specific_object': specific})
        return _path(self.model.activate(connection, device, specific))

    @dbus.service.method(NM_IFACE, in_signature='a{sa{sv}}oo',
                         out_signature='oo', byte_arrays=True)
    def AddAndActivateConnection(self, settings, device, specific):
        self.model.record('AddAndActivateConnection', {
            'device': device, 'specific_object': specific}, settings)
        profile, ac = self.model.add_and_activate(settings, device,
                                                  specific, {})
        return (_path(profile), _path(ac))

    @dbus.service.method(NM_IFACE, in_signature='a{sa{sv}}ooa{sv}',
                         out_signature='ooa{sv}', byte_arrays=True)
    def AddAndActivateConnection2(self, settings, device, specific, options):
        recorded = dict(options)
        recorded.update({'device': device, 'specific_object': specific})
        self.model.record('AddAndActivateConnection2', recorded, settings)
        profile, ac = self.model.add_and_activate(settings, device,
                                                  specific, options)
        return (_path(profile), _path(ac),
                dbus.Dictionary({}, signature='sv'))

    @dbus.service.method(NM_IFACE, in_signature='o', out_signature='')
    def DeactivateConnection(self, active):
        self.model.record('DeactivateConnection', {'active': active})
        self.model.deactivate_path(active)

    @dbus.service.method(NM_IFACE, in_signature='b', out_signature='')
    def Enable(self, enable):
        self.model.record('Enable', {'enable': enable})
        self.set(NM_IFACE, NetworkingEnabled=dbus.Boolean(enable))

    @dbus.service.method(NM_IFACE, in_signature='b', out_signature='')
    def Sleep(self, sleep):
        self.model.record('Sleep', {'sleep': sleep})


# --- settings validation, as NetworkManager's verify() does it ------------


def _check_type(setting, key, value, wanted):
    kinds = {
        's': (dbus.String, str),
        'b': (dbus.Boolean,),
        'u': (dbus.UInt32,),
        'i': (dbus.Int32,),
        'ay': (dbus.ByteArray, bytes),
    }
    if isinstance(value, kinds[wanted]):
        return
    if isinstance(value, dbus.Array):
        got = 'a' + (value.signature or 'v')
    elif isinstance(value, dbus.Dictionary):
        got = 'a{' + (value.signature or 'sv') + '}'
    else:
        # without the variant level the guess is the value's own type
        got = dbus.lowlevel.Message.guess_signature(type(value)(value))
    raise _connection_error(
        'InvalidProperty',
        f"{setting}.{key}: can't set property of type '{wanted}' from "
        f"value of type '{got}'")


TYPED_KEYS = {
    'connection': {'id': 's', 'uuid': 's', 'type': 's', 'autoconnect': 'b',
                   'interface-name': 's', 'autoconnect-priority': 'i'},
    '802-11-wireless': {'ssid': 'ay', 'mode': 's', 'hidden': 'b',
                        'band': 's', 'channel': 'u', 'mac-address': 'ay'},
    '802-11-wireless-security': {'key-mgmt': 's', 'psk': 's',
                                 'auth-alg': 's'},
    'ipv4': {'method': 's'},
    'ipv6': {'method': 's'},
}

UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                     r'[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


def _psk_valid(psk):
    if len(psk) == 64:
        return all(c in '0123456789abcdefABCDEF' for c in psk)
    return 8 <= len(psk) <= 63 and all(0x20 <= ord(c) < 0x7f for c in psk)


def check_settings(settings, complete):
    '''Rejects what NetworkManager's strict parsing and verify() reject.

    @complete is False for AddAndActivate, where NetworkManager fills in
    the connection setting and the SSID itself.
    '''
    for name, setting in settings.items():
        if name not in KNOWN_SETTINGS:
            raise _connection_error('InvalidSetting',
                                    f'{name}: unknown setting name')
        for key, wanted in TYPED_KEYS.get(name, {}).items():
            if key in setting:
                _check_type(name, key, setting[key], wanted)

    s_con = settings.get('connection', {})
    if complete:
        if 'connection' not in settings:
            raise _connection_error('MissingSetting',
                                    'connection: setting is required')
        for key in ('id', 'uuid', 'type'):
            if not s_con.get(key):
                raise _connection_error(
                    'MissingProperty', f'connection.{key}: property is '
                    'missing')
    if 'uuid' in s_con and not UUID_RE.match(str(s_con['uuid'])):
        raise _connection_error(
            'InvalidProperty',
            f"connection.uuid: '{s_con['uuid']}' is not a valid UUID")
    ctype = s_con.get('type', '802-11-wireless')
    if ctype != '802-11-wireless':
        raise _connection_error(
            'InvalidProperty',
            f"connection.type: connection type '{ctype}' is not "
            'supported by this device')

    s_wifi = settings.get('802-11-wireless')
    if s_wifi is None and complete:
        raise _connection_error('MissingSetting',
                                '802-11-wireless: setting is required')
    s_wifi = s_wifi or {}
    ssid = s_wifi.get('ssid')
    if ssid is None and complete:
        raise _connection_error('MissingProperty',
                                '802-11-wireless.ssid: property is missing')
    if ssid is not None and not 1 <= len(ssid) <= 32:
        raise _connection_error(
            'InvalidProperty',
            '802-11-wireless.ssid: SSID length is out of range <1-32> '
            'bytes')
    mode = s_wifi.get('mode', 'infrastructure')
    if mode not in ('infrastructure', 'adhoc', 'ap', 'mesh'):
        raise _connection_error(
            'InvalidProperty',
            f"802-11-wireless.mode: '{mode}' is not a valid value for the "
            'property')

    s_wsec = settings.get('802-11-wireless-security')
    if s_wsec is not None:
        key_mgmt = s_wsec.get('key-mgmt')
        if not key_mgmt:
            raise _connection_error(
                'MissingProperty',
                '802-11-wireless-security.key-mgmt: property is missing')
        if key_mgmt not in ('none', 'ieee8021x', 'wpa-psk', 'sae', 'owe',
                            'wpa-eap', 'wpa-eap-suite-b-192'):
            raise _connection_error(
                'InvalidProperty',
                f"802-11-wireless-security.key-mgmt: '{key_mgmt}' is not a "
                'valid value for the property')
        psk = s_wsec.get('psk')
        if key_mgmt == 'wpa-psk' and psk is not None and \
                not _psk_valid(str(psk)):
            raise _connection_error(
                'InvalidProperty',
                '802-11-wireless-security.psk: property is invalid')
        if key_mgmt == 'sae' and psk is not None and len(psk) == 0:
            raise _connection_error(
                'InvalidProperty',
                '802-11-wireless-security.psk: property is empty')

    for family in ('ipv4', 'ipv6'):
        method = settings.get(family, {}).get('method')
        allowed = {'ipv4': ('auto', 'link-local', 'manual', 'shared',
                            'disabled'),
                   'ipv6': ('auto', 'dhcp', 'link-local', 'manual',
                            'shared', 'ignore', 'disabled')}[family]
        if method is not None and method not in allowed:
            raise _connection_error(
                'InvalidProperty', f'{family}.method: property is invalid')


def _settings_copy(settings):
    return {str(name): dict(setting) for name, setting in settings.items()}


def _ap_accepts(ap, settings):
    '''None when the profile can be used with @ap, else why not.'''
    flags, wpa, rsn = SECURITY_KINDS[ap.net['security']]
    s_wsec = settings.get('802-11-wireless-security')
    key_mgmt = str(s_wsec.get('key-mgmt')) if s_wsec else None
    if not flags & AP_FLAGS_PRIVACY:
        if key_mgmt is not None:
            return 'the access point is open but the profile is secured'
        return None
    if key_mgmt is None:
        return 'the access point requires security'
    if key_mgmt == 'wpa-psk' and (wpa | rsn) & SEC_KEY_MGMT_PSK:
        return None
    if key_mgmt == 'sae' and rsn & SEC_KEY_MGMT_SAE:
        return None
    if key_mgmt in ('wpa-eap', 'ieee8021x') and \
            (wpa | rsn) & SEC_KEY_MGMT_802_1X:
        return None
    if key_mgmt == 'none' and not (wpa | rsn):
        return None
    return f"the access point does not support key management '{key_mgmt}'"


# --- the model: NetworkManager's behaviour --------------------------------


class Steps:
    '''Runs a generator of delays (ms) on the GLib main loop, so an
    activation reads top to bottom as the sequence of states it walks.'''

    def __init__(self, gen):
        self.gen = gen
        self.source = None
        self._next()

    def _next(self):
        self.source = None
        try:
            delay = next(self.gen)
        except StopIteration:
            return False
        self.source = GLib.timeout_add(max(int(delay), 0), self._next)
        return False

    def cancel(self):
        if self.source:
            GLib.source_remove(self.source)
            self.source = None
        self.gen.close()


class Model:
    def __init__(self, bus, params):
        self.bus = bus
        self.params = params
        self.step_ms = int(params.get('step_delay_ms', 100))
        self.backend = params.get('backend', 'wpa_supplicant')
        self.autoconnect_enabled = bool(params.get('autoconnect', True))
        self.calls = []
        self.hostnames = []
        self.counters = {}
        self.networks = [self._network_from_spec(n, i)
                         for i, n in enumerate(params.get('networks', []))]
        self.saved = [p for p in (self._profile_from_spec(s)
                                  for s in params.get('profiles', []))]
        self.hostname = params.get('hostname', 'localhost')
        self.wireless_enabled = True
        self.down = False
        self.objects = {}
        self.build()

    # -- bookkeeping ----------------------------------------------------

    def emit(self, path, iface, member, signature, *args):
        if self.down:
            return
        msg = dbus.lowlevel.SignalMessage(path, iface, member)
        msg.append(signature=signature, *args)
        self.bus.send_message(msg)

    def record(self, method, options, settings=None):
        self.calls.append((method, dbus.Dictionary(options, signature='sv'),
                           settings or {}))

    def next_path(self, prefix):
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return f'{prefix}/{n}'

    def export(self, obj):
        '''Announces a new object before anything refers to it.'''
        self.objects[obj.path] = obj
        self.emit(MAIN_OBJ, OM_IFACE, 'InterfacesAdded', 'oa{sa{sv}}',
                  dbus.ObjectPath(obj.path),
                  dbus.Dictionary({i: dbus.Dictionary(p, signature='sv')
                                   for i, p in obj.interfaces.items()},
                                  signature='sa{sv}'))
        return obj

    def unexport(self, obj):
        '''Removes an object after every reference to it is gone.'''
        if self.objects.pop(obj.path, None) is None:
            return
        self.emit(MAIN_OBJ, OM_IFACE, 'InterfacesRemoved', 'oas',
                  dbus.ObjectPath(obj.path),
                  dbus.Array(list(obj.interfaces), signature='s'))
        obj.unexport()

    def managed_objects(self):
        return dbus.Dictionary(
            {dbus.ObjectPath(path): dbus.Dictionary(
                {i: dbus.Dictionary(p, signature='sv')
                 for i, p in obj.interfaces.items()}, signature='sa{sv}')
             for path, obj in self.objects.items()},
            signature='oa{sa{sv}}')

    # -- the scenario ---------------------------------------------------

    def _network_from_spec(self, spec, index):
        '''A network on the air. Keys: ssid (text) or ssid_hex, security
        (one of SECURITY_KINDS), strength 0-100, frequency MHz, bssid,
        hidden, psk (the one it accepts), behaviour (one of BEHAVIOURS),
        ip "a.b.c.d/prefix", gateway, max_bitrate kbit/s.'''
        if 'ssid_hex' in spec:
            ssid = binascii.unhexlify(spec['ssid_hex'])
        elif isinstance(spec.get('ssid'), (bytes, bytearray)):
            ssid = bytes(spec['ssid'])
        else:
            ssid = str(spec['ssid']).encode('utf-8')
        security = str(spec.get('security', 'wpa2'))
        if security not in SECURITY_KINDS:
            raise ValueError(f'unknown security kind {security!r}')
        behaviour = str(spec.get('behaviour', 'accept'))
        if behaviour not in BEHAVIOURS:
            raise ValueError(f'unknown behaviour {behaviour!r}')
        n = len(self.networks) if hasattr(self, 'networks') else index
        freq = int(spec.get('frequency', 2412 + 5 * (n % 11)))
        return {
            'ssid': ssid,
            'security': security,
            'strength': max(0, min(100, int(spec.get('strength', 70)))),
            'frequency': freq,
            'bssid': str(spec.get('bssid',
                                  f'02:00:5E:10:{n // 256:02X}:{n % 256:02X}'
                                  )).upper(),
            'hidden': bool(spec.get('hidden', False)),
            'psk': spec.get('psk'),
            'behaviour': behaviour,
            'ip': str(spec.get('ip', f'192.168.{10 + n % 200}.57/24')),
            'gateway': spec.get('gateway'),
            'max_bitrate': int(spec.get('max_bitrate',
                                        270000 if freq > 5000 else 130000)),
        }

    def _profile_from_spec(self, spec):
        '''A saved profile at start: id, ssid (text), psk, key_mgmt,
        uuid, autoconnect, mode ("ap" for a hotspot), in_memory.'''
        settings = {
            'connection': {
                'id': dbus.String(spec.get('id', spec['ssid'])),
                'uuid': dbus.String(spec.get('uuid', str(uuidlib.uuid4()))),
                'type': dbus.String('802-11-wireless'),
                'autoconnect': dbus.Boolean(spec.get('autoconnect', True)),
            },
            '802-11-wireless': {
                'ssid': dbus.ByteArray(str(spec['ssid']).encode('utf-8')),
                'mode': dbus.String(spec.get('mode', 'infrastructure')),
                'hidden': dbus.Boolean(spec.get('hidden', False)),
            },
            'ipv4': {'method': dbus.String(
                'shared' if spec.get('mode') == 'ap' else 'auto')},
            'ipv6': {'method': dbus.String('auto')},
        }
        if spec.get('psk') or spec.get('key_mgmt'):
            settings['802-11-wireless-security'] = {
                'key-mgmt': dbus.String(spec.get('key_mgmt', 'wpa-psk')),
            }
            if spec.get('psk'):
                settings['802-11-wireless-security']['psk'] = \
                    dbus.String(spec['psk'])
        return (settings, CONN_FLAG_UNSAVED if spec.get('in_memory') else 0)

    def build(self):
        '''Creates the object tree, as NetworkManager does when it starts.'''
        self.counters = {}
        self.manager = self.export(Manager(
            self, self.params.get('version', '1.42.4')))
        self.settings_obj = self.export(Settings(self, self.hostname))
        self.devices = []
        self.profiles = []
        self.actives = []
        self.wifi = None
        self.activation = None
        self.autoconnect_source = None
        if self.params.get('loopback', True):
            self._add_device(LoopbackDevice(
                self, self.next_path(NM_PATH + '/Devices')))
        if self.params.get('wifi_device', True):
            self.add_wifi_device(self.params.get('interface', 'wlan0'),
                                 self.params.get('hw_address',
                                                 'DC:A6:32:A1:B2:C3'))
        for settings, flags in self.saved:
            self._new_profile(settings, flags)
        self.update_available()
        self.schedule_autoconnect()

    def teardown(self):
        '''Drops every object, as a NetworkManager that went away.'''
        if self.activation:
            self.activation.cancel()
            self.activation = None
        if self.wifi and self.wifi.scan_source:
            GLib.source_remove(self.wifi.scan_source)
        if self.autoconnect_source:
            GLib.source_remove(self.autoconnect_source)
        self.saved = [(p.settings, p.flags & CONN_FLAG_UNSAVED)
                      for p in self.profiles
                      if not p.flags & CONN_FLAG_VOLATILE]
        for obj in list(self.objects.values()):
            self.objects.pop(obj.path)
            obj.unexport()

    # -- devices and access points ---------------------------------------

    def _add_device(self, dev):
        self.export(dev)
        self.devices.append(dev)
        self.manager.set(NM_IFACE, Devices=_paths(self.devices),
                         AllDevices=_paths(self.devices))
        self.emit(NM_PATH, NM_IFACE, 'DeviceAdded', 'o',
                  dbus.ObjectPath(dev.path))
        return dev

    def add_wifi_device(self, iface, hw_address):
        if self.wifi:
            raise _manager_error('Failed', 'There is a Wi-Fi device already')
        state = DISCONNECTED if self.wireless_enabled else UNAVAILABLE
        self.wifi = self._add_device(WifiDevice(
            self, self.next_path(NM_PATH + '/Devices'), iface,
            hw_address.upper(), state))
        for net in self.networks:
            self._add_ap(net)
        _log(f'{iface}: Wi-Fi device {hw_address} added')
        self.update_available()
        self.schedule_autoconnect()
        return self.wifi

    def remove_wifi_device(self):
        dev = self.wifi
        if not dev:
            raise _manager_error('UnknownDevice', 'There is no Wi-Fi device')
        if self.activation:
            self.activation.cancel()
            self.activation = None
        ac = self.active_on(dev)
        ip4 = dev.ip4
        if ac:
            ac.set_state(AC_DEACTIVATED, AC_REASON_DEVICE_REMOVED)
        dev.set_state(UNMANAGED, REASON_REMOVED, ActiveConnection=ROOT,
                      Ip4Config=ROOT)
        if ac:
            self._forget_active(ac)
        if ip4:
            self.unexport(ip4)
        self.devices.remove(dev)
        self.wifi = None
        self.manager.set(NM_IFACE, Devices=_paths(self.devices),
                         AllDevices=_paths(self.devices))
        self.emit(NM_PATH, NM_IFACE, 'DeviceRemoved', 'o',
                  dbus.ObjectPath(dev.path))
        for ap in list(dev.aps):
            self.unexport(ap)
        self.unexport(dev)
        self.update_global_state()

    def _add_ap(self, net):
        dev = self.wifi
        if not dev or dev.state < DISCONNECTED:
            return None
        ap = self.export(AccessPoint(
            self, self.next_path(NM_PATH + '/AccessPoint'), net))
        dev.aps.append(ap)
        dev.set(WIRELESS_IFACE, AccessPoints=_paths(dev.aps))
        self.emit(dev.path, WIRELESS_IFACE, 'AccessPointAdded', 'o',
                  dbus.ObjectPath(ap.path))
        return ap

    def _remove_ap(self, ap):
        dev = self.wifi
        dev.aps.remove(ap)
        dev.set(WIRELESS_IFACE, AccessPoints=_paths(dev.aps))
        self.emit(dev.path, WIRELESS_IFACE, 'AccessPointRemoved', 'o',
                  dbus.ObjectPath(ap.path))
        self.unexport(ap)

    def find_aps(self, ssid):
        '''The access points that show @ssid (a hidden one does not).'''
        if not self.wifi:
            return []
        return [ap for ap in self.wifi.aps
                if ap.ssid == ssid and ap.net.get('mode') != MODE_AP]

    def aps_of(self, net):
        if not self.wifi:
            return []
        return [ap for ap in self.wifi.aps if ap.net is net]

    def find_network(self, ssid):
        for net in self.networks:
            if net['ssid'] == ssid:
                return net
        return None

    def add_network(self, spec):
        net = self._network_from_spec(spec, len(self.networks))
        self.networks.append(net)
        ap = self._add_ap(net)
        self.update_available()
        self.schedule_autoconnect()
        return ap

    def remove_network(self, ssid):
        net = self.find_network(ssid)
        if not net:
            raise NMError(CONTROL_IFACE + '.UnknownNetwork',
                          f'No network {_ssid_text(ssid)!r}')
        self.networks.remove(net)
        if not self.wifi:
            return
        current = self.wifi.get(WIRELESS_IFACE, 'ActiveAccessPoint')
        for ap in self.aps_of(net):
            if ap.path == current:
                # NetworkManager keeps the current AP until the link
                # times out (or the activation fails) and then fails
                # with SSID_NOT_FOUND.
                self._link_lost(REASON_SSID_NOT_FOUND)
            else:
                self._remove_ap(ap)
        self.update_available()

    def set_strength(self, ssid, strength):
        for ap in self.aps_of(self.find_network(ssid)):
            ap.net['strength'] = strength
            ap.set(AP_IFACE, Strength=dbus.Byte(strength))

    def set_wireless_enabled(self, enabled):
        if enabled == self.wireless_enabled:
            return
        self.wireless_enabled = enabled
        self.manager.set(NM_IFACE, WirelessEnabled=dbus.Boolean(enabled))
        dev = self.wifi
        if not dev:
            return
        if not enabled:
            self._abort_device(dev, UNAVAILABLE, REASON_NONE)
            for ap in list(dev.aps):
                self._remove_ap(ap)
        else:
            dev.set_state(DISCONNECTED, REASON_NONE)
            for net in self.networks:
                self._add_ap(net)
            self.schedule_autoconnect()
        self.update_global_state()

    # -- scanning -------------------------------------------------------

    def _scan_blocked(self, dev):
        return dev.mode == MODE_AP or PREPARE <= dev.state < ACTIVATED

    def request_scan(self, dev, options):
        ssids = options.get('ssids')
        if ssids is not None:
            if len(ssids) > 32:
                raise _device_error('InvalidArgument',
                                    'too many SSIDs requested to scan')
        if self.backend == 'iwd' and self._scan_blocked(dev):
            raise _device_error('NotAllowed',
                                'Scanning not allowed at this time')
        if not self.wireless_enabled or dev.state < DISCONNECTED or \
                (self.backend == 'iwd' and dev.state != DISCONNECTED and
                 dev.state != ACTIVATED):
            raise _device_error('NotAllowed',
                                'Scanning not allowed while unavailable')
        # wpa_supplicant: the request is accepted and queued; it runs
        # once scanning is allowed again (not in AP mode, not while
        # activating), and LastScan tells when it finished.
        dev.scan_pending = True
        self.kick_scan()

    def kick_scan(self):
        dev = self.wifi
        if not dev or not dev.scan_pending or dev.scan_source or \
                self._scan_blocked(dev):
            return
        dev.scan_source = GLib.timeout_add(
            max(self.step_ms * 2, 1), self._scan_done)

    def _scan_done(self):
        dev = self.wifi
        dev.scan_source = None
        dev.scan_pending = False
        now = _boottime_ms()
        for ap in dev.aps:
            ap.set(AP_IFACE, LastSeen=dbus.Int32(int(now / 1000)))
        dev.set(WIRELESS_IFACE, LastScan=dbus.Int64(now))
        _log(f'{dev.iface}: scan done')
        return False

    # -- profiles -------------------------------------------------------

    def _new_profile(self, settings, flags):
        s_con = settings['connection']
        filename = ('/run/NetworkManager/system-connections/'
                    if flags & CONN_FLAG_UNSAVED else
                    '/etc/NetworkManager/system-connections/')
        filename += f"{s_con['id']}.nmconnection"
        if flags & CONN_FLAG_VOLATILE:
            filename = ''
        profile = self.export(Profile(
            self, self.next_path(SETTINGS_PATH), settings, flags, filename))
        self.profiles.append(profile)
        self.settings_obj.set(SETTINGS_IFACE,
                              Connections=_paths(self.profiles))
        self.emit(SETTINGS_PATH, SETTINGS_IFACE, 'NewConnection', 'o',
                  dbus.ObjectPath(profile.path))
        return profile

    def _normalize(self, settings):
        '''What nm_connection_normalize() adds to a complete profile.'''
        settings = _settings_copy(settings)
        s_wifi = settings.setdefault('802-11-wireless', {})
        s_wifi.setdefault('mode', dbus.String('infrastructure'))
        ap_mode = s_wifi['mode'] == 'ap'
        settings.setdefault('ipv4', {}).setdefault(
            'method', dbus.String('shared' if ap_mode else 'auto'))
        settings.setdefault('ipv6', {}).setdefault(
            'method', dbus.String('ignore' if ap_mode else 'auto'))
        if '802-11-wireless-security' in settings:
            s_wifi['security'] = dbus.String('802-11-wireless-security')
        return settings

    def add_profile(self, settings, flags, block_autoconnect=False):
        check_settings(settings, complete=True)
        uuid = str(settings['connection']['uuid'])
        if any(p.uuid == uuid for p in self.profiles):
            raise _settings_error(
                'UuidExists', f"A connection with UUID '{uuid}' already "
                'exists')
        profile = self._new_profile(self._normalize(settings), flags)
        profile.autoconnect_blocked = block_autoconnect
        _log(f'profile {profile.id!r} added ({profile.path})')
        self.update_available()
        self.schedule_autoconnect()
        return profile

    def update_profile(self, profile, settings, unsaved):
        if settings is not None:
            check_settings(settings, complete=True)
            if str(settings['connection']['uuid']) != profile.uuid:
                raise _connection_error(
                    'InvalidProperty', 'connection.uuid: the UUID cannot '
                    'be changed')
            old_wsec = profile.settings.get('802-11-wireless-security', {})
            settings = self._normalize(settings)
            new_wsec = settings.get('802-11-wireless-security')
            # secrets not sent are kept, as NetworkManager does
            if new_wsec is not None:
                for key in SECRET_KEYS:
                    if key in old_wsec and key not in new_wsec:
                        new_wsec[key] = old_wsec[key]
            profile.settings = settings
            profile.autoconnect_blocked = False
            profile.autoconnect_retries = 4
        if unsaved is not None:
            flags = (profile.flags & ~CONN_FLAG_UNSAVED) | unsaved
            profile.set(CONNECTION_IFACE, Flags=dbus.UInt32(flags),
                        Unsaved=dbus.Boolean(bool(unsaved)))
        self.emit(profile.path, CONNECTION_IFACE, 'Updated', '')
        self.update_available()
        self.schedule_autoconnect()

    def delete_profile(self, profile):
        for ac in list(self.actives):
            if ac.profile is profile:
                self._deactivate(ac, REASON_NONE)
        if profile not in self.profiles:
            return
        self.profiles.remove(profile)
        self.settings_obj.set(SETTINGS_IFACE,
                              Connections=_paths(self.profiles))
        self.update_available()
        self.emit(profile.path, CONNECTION_IFACE, 'Removed', '')
        self.emit(SETTINGS_PATH, SETTINGS_IFACE, 'ConnectionRemoved', 'o',
                  dbus.ObjectPath(profile.path))
        self.unexport(profile)
        _log(f'profile {profile.id!r} deleted')

    def save_hostname(self, hostname):
        if not re.match(r'^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$', hostname) or \
                '..' in hostname:
            raise _settings_error(
                'InvalidHostname',
                'The hostname was too long or contained invalid characters')
        self.hostnames.append(hostname)
        self.hostname = hostname
        self.settings_obj.set(SETTINGS_IFACE, Hostname=dbus.String(hostname))
        _log(f'hostname saved: {hostname}')

    def update_available(self):
        dev = self.wifi
        if not dev:
            return
        visible = {ap.ssid for ap in dev.aps}
        available = [p for p in self.profiles
                     if p.is_hotspot or p.wireless('hidden') or
                     p.ssid in visible]
        dev.set(DEVICE_IFACE, AvailableConnections=_paths(available))

    # -- activation -----------------------------------------------------

    def active_on(self, dev):
        for ac in self.actives:
            if ac.device is dev:
                return ac
        return None

    def _device_for(self, device_path):
        if device_path in ('', '/'):
            if not self.wifi:
                raise _manager_error(
                    'UnknownDevice', 'No suitable device found for this '
                    'connection (device wlan0 not available because device '
                    'not found).')
            return self.wifi
        for dev in self.devices:
            if dev.path == device_path:
                if dev is not self.wifi:
                    raise _manager_error(
                        'ConnectionNotAvailable',
                        f"Connection is not available on device "
                        f"{dev.iface} because it is not a Wi-Fi device")
                return dev
        raise _manager_error('UnknownDevice', 'Device not found')

    def add_and_activate(self, settings, device_path, specific, options):
        persist = str(options.get('persist', 'disk'))
        for key in options:
            if key not in ('persist', 'bind-activation'):
                raise _manager_error('InvalidArguments',
                                     f"Unknown extra option '{key}'")
        if persist not in ('disk', 'memory', 'volatile'):
            raise _manager_error('InvalidArguments',
                                 "Option 'persist' must be one of disk, "
                                 "memory or volatile")
        if str(options.get('bind-activation', 'none')) not in \
                ('none', 'dbus-client'):
            raise _manager_error('InvalidArguments', "Option "
                                 "'bind-activation' must be one of none, "
                                 'dbus-client')
        check_settings(settings, complete=False)
        dev = self._device_for(device_path)
        self._check_available(dev)
        settings = _settings_copy(settings)
        ap = self._complete_connection(dev, settings, specific)
        check_settings(settings, complete=True)
        flags = {'disk': 0, 'memory': CONN_FLAG_UNSAVED,
                 'volatile': CONN_FLAG_UNSAVED | CONN_FLAG_VOLATILE}[persist]
        profile = self._new_profile(self._normalize(settings), flags)
        _log(f'profile {profile.id!r} added ({profile.path}), activating')
        ac = self._start_activation(profile, dev, ap)
        self.update_available()
        return profile, ac

    def _check_available(self, dev):
        if not self.wireless_enabled or dev.state < DISCONNECTED:
            raise _manager_error(
                'ConnectionNotAvailable',
                f'Connection is not available on device {dev.iface} '
                'because device is not available')

    def _complete_connection(self, dev, settings, specific):
        '''NetworkManager's complete_connection() for Wi-Fi: the access
        point gives the SSID and the security, the SSID gives the id.'''
        s_wifi = settings.setdefault('802-11-wireless', {})
        s_con = settings.setdefault('connection', {})
        ap_mode = s_wifi.get('mode') == 'ap'
        ap = None
        if specific not in ('', '/') and not ap_mode:
            ap = next((a for a in dev.aps if a.path == specific), None)
            if not ap:
                raise _device_error(
                    'SpecificObjectNotFound',
                    f'The access point {specific} was not in the scan '
                    'list.')
        elif not s_wifi.get('ssid'):
            raise _device_error(
                'InvalidConnection',
                "A 'wireless' setting with a valid SSID is required if no "
                'AP path was given.')
        elif not ap_mode:
            for candidate in self.find_aps(bytes(s_wifi['ssid'])):
                if _ap_accepts(candidate, settings) is None:
                    ap = candidate
                    break
            if not ap:
                s_wifi['hidden'] = dbus.Boolean(True)
        if ap:
            if ap.net['hidden'] and not s_wifi.get('ssid'):
                raise _device_error(
                    'InvalidConnection',
                    "A 'wireless' setting with a valid SSID is required "
                    'for hidden access points.')
            s_wifi.setdefault('ssid', dbus.ByteArray(ap.ssid))
            if bytes(s_wifi['ssid']) != ap.ssid:
                raise _connection_error(
                    'InvalidProperty',
                    '802-11-wireless.ssid: the SSID does not match the '
                    'access point')
            self._complete_security(ap, settings)
            why = _ap_accepts(ap, settings)
            if why:
                raise _connection_error(
                    'InvalidProperty',
                    f'802-11-wireless-security.key-mgmt: {why}')
        s_con.setdefault('type', dbus.String('802-11-wireless'))
        s_con.setdefault('uuid', dbus.String(str(uuidlib.uuid4())))
        if not s_con.get('id'):
            base = _ssid_text(s_wifi['ssid'])
            name, n = base, 1
            while any(p.id == name for p in self.profiles):
                name = f'{base} {n}'
                n += 1
            s_con['id'] = dbus.String(name)
        return ap

    def _complete_security(self, ap, settings):
        flags, wpa, rsn = SECURITY_KINDS[ap.net['security']]
        s_wsec = settings.get('802-11-wireless-security')
        if not flags & AP_FLAGS_PRIVACY or s_wsec is None:
            return
        if 'key-mgmt' not in s_wsec:
            if (wpa | rsn) & SEC_KEY_MGMT_PSK:
                s_wsec['key-mgmt'] = dbus.String('wpa-psk')
            elif rsn & SEC_KEY_MGMT_SAE:
                s_wsec['key-mgmt'] = dbus.String('sae')
            elif (wpa | rsn) & SEC_KEY_MGMT_802_1X:
                s_wsec['key-mgmt'] = dbus.String('wpa-eap')

    def activate(self, conn_path, device_path, specific):
        profile = next((p for p in self.profiles if p.path == conn_path),
                       None)
        if not profile:
            raise _manager_error('UnknownConnection',
                                 'Connection not found')
        dev = self._device_for(device_path)
        self._check_available(dev)
        ap = None
        if profile.is_hotspot:
            pass
        elif specific not in ('', '/'):
            ap = next((a for a in dev.aps if a.path == specific), None)
            if not ap:
                raise _manager_error(
                    'ConnectionNotAvailable', 'Connection is not available '
                    'on device because the access point was not found')
        else:
            ap = next((a for a in self.find_aps(profile.ssid)
                       if _ap_accepts(a, profile.settings) is None), None)
            if not ap and not profile.wireless('hidden'):
                raise _manager_error(
                    'ConnectionNotAvailable',
                    f"Connection '{profile.id}' is not available on device "
                    f'{dev.iface} because no compatible access point found')
        dev.set(DEVICE_IFACE, Autoconnect=dbus.Boolean(True))
        profile.autoconnect_blocked = False
        return self._start_activation(profile, dev, ap)

    def _start_activation(self, profile, dev, ap):
        old = self.active_on(dev)
        if self.activation:
            self.activation.cancel()
            self.activation = None
        ac = self.export(ActiveConnection(
            self, self.next_path(NM_PATH + '/ActiveConnection'), profile,
            dev, ap))
        self.actives.append(ac)
        self.manager.set(NM_IFACE, ActiveConnections=_paths(self.actives),
                         ActivatingConnection=_path(ac))
        _log(f'activating {profile.id!r} on {dev.iface}')
        self.activation = Steps(self._activation_steps(ac, ap, old))
        return ac

    def _activation_steps(self, ac, ap, old):
        dev = ac.device
        if old:
            yield from self._deactivation_steps(old, REASON_NEW_ACTIVATION)
        dev.set_state(PREPARE, REASON_NONE, ActiveConnection=_path(ac),
                      IpInterface=dbus.String(''))
        self.update_global_state()
        yield self.step_ms
        if ac.profile.is_hotspot:
            yield from self._hotspot_steps(ac)
        else:
            yield from self._join_steps(ac, ap)

    def _join_steps(self, ac, ap):
        dev = ac.device
        profile = ac.profile
        net = ap.net if ap else self.find_network(profile.ssid)
        behaviour = net['behaviour'] if net else 'not-found'
        if net and not ap:
            # no AP showed the SSID: only a probe for a hidden profile
            # finds the network
            hidden_aps = [a for a in self.aps_of(net) if net['hidden']]
            if hidden_aps and profile.wireless('hidden'):
                ap = hidden_aps[0]
            else:
                behaviour = 'not-found'
        dev.set_state(CONFIG, REASON_NONE)
        if ap:
            dev.set(WIRELESS_IFACE, ActiveAccessPoint=_path(ap))
        yield self.step_ms
        if behaviour == 'hang':
            _log(f'{profile.id!r}: hanging in CONFIG')
            return
        if behaviour == 'not-found':
            yield self.step_ms * 2
            yield from self._fail(ac, REASON_SSID_NOT_FOUND)
            return
        if behaviour == 'timeout':
            yield self.step_ms * 3
            yield from self._fail(ac, REASON_SUPPLICANT_TIMEOUT)
            return
        if behaviour == 'vanish':
            self.remove_network(net['ssid'])
            yield self.step_ms * 2
            yield from self._fail(ac, REASON_SSID_NOT_FOUND)
            return
        if not self._secrets_match(profile, net, behaviour):
            # a bad PSK: the supplicant disconnects during the 4-way
            # handshake, NetworkManager asks its agents for a new key,
            # there is none, and the activation fails for lack of secrets.
            dev.set_state(NEED_AUTH, REASON_SUPPLICANT_DISCONNECT)
            yield self.step_ms
            yield from self._fail(ac, REASON_NO_SECRETS)
            return
        if net['hidden']:
            ap.set(AP_IFACE, Ssid=dbus.ByteArray(net['ssid']))
        dev.set_state(IP_CONFIG, REASON_NONE,
                      IpInterface=dbus.String(dev.iface))
        ac.set(ACTIVE_IFACE, StateFlags=dbus.UInt32(AC_FLAG_LAYER2_READY))
        yield self.step_ms
        if behaviour == 'dhcp-fail' or \
                profile.settings.get('ipv4', {}).get('method') == 'disabled':
            yield self.step_ms * 2
            yield from self._fail(ac, REASON_IP_CONFIG_UNAVAILABLE)
            return
        address, prefix = net['ip'].split('/')
        gateway = net['gateway'] or address.rsplit('.', 1)[0] + '.1'
        yield from self._activated_steps(ac, address, int(prefix), gateway)

    def _secrets_match(self, profile, net, behaviour):
        if behaviour == 'wrong-password':
            return False
        if net['security'] == 'open':
            return True
        psk = profile.security('psk')
        if psk is None:
            return False
        return net['psk'] is None or str(psk) == net['psk']

    def _hotspot_steps(self, ac):
        dev = ac.device
        profile = ac.profile
        fake = {
            'ssid': profile.ssid, 'hidden': False, 'strength': 100,
            'security': 'wpa2' if profile.security('key-mgmt') == 'wpa-psk'
                        else 'wpa3' if profile.security('key-mgmt') == 'sae'
                        else 'open',
            'frequency': 2437, 'bssid': dev.get(DEVICE_IFACE, 'HwAddress'),
            'max_bitrate': 0, 'mode': MODE_AP, 'behaviour': 'accept',
            'psk': None,
        }
        ap = self.export(AccessPoint(
            self, self.next_path(NM_PATH + '/AccessPoint'), fake))
        dev.aps.append(ap)
        dev.set(WIRELESS_IFACE, AccessPoints=_paths(dev.aps),
                Mode=dbus.UInt32(MODE_AP), ActiveAccessPoint=_path(ap))
        self.emit(dev.path, WIRELESS_IFACE, 'AccessPointAdded', 'o',
                  dbus.ObjectPath(ap.path))
        ac.set(ACTIVE_IFACE, SpecificObject=_path(ap))
        dev.set_state(CONFIG, REASON_NONE)
        yield self.step_ms
        dev.set_state(IP_CONFIG, REASON_NONE,
                      IpInterface=dbus.String(dev.iface))
        yield self.step_ms
        s_ip4 = profile.settings.get('ipv4', {})
        if s_ip4.get('method') not in ('shared', 'manual'):
            # an access point with DHCP on its own side never gets an
            # address
            yield self.step_ms * 2
            yield from self._fail(ac, REASON_IP_CONFIG_UNAVAILABLE)
            return
        address, prefix = '10.42.0.1', 24
        data = s_ip4.get('address-data') or []
        if data:
            address = str(data[0]['address'])
            prefix = int(data[0]['prefix'])
        elif s_ip4.get('addresses'):
            first = s_ip4['addresses'][0]
            address = socket.inet_ntoa(struct.pack('=I', int(first[0])))
            prefix = int(first[1])
        yield from self._activated_steps(ac, address, prefix, None)

    def _activated_steps(self, ac, address, prefix, gateway):
        dev = ac.device
        ip4 = self.export(IP4Config(
            self, self.next_path(NM_PATH + '/IP4Config'), address, prefix,
            gateway, [gateway] if gateway else []))
        dev.ip4 = ip4
        dev.set_state(IP_CHECK, REASON_NONE, Ip4Config=_path(ip4))
        yield self.step_ms
        dev.set_state(SECONDARIES, REASON_NONE)
        yield self.step_ms
        dev.set_state(ACTIVATED, REASON_NONE,
                      InterfaceFlags=dbus.UInt32(0x10003))
        ac.set_state(AC_ACTIVATED, AC_REASON_UNKNOWN,
                     Ip4Config=_path(ip4),
                     Default=dbus.Boolean(gateway is not None),
                     StateFlags=dbus.UInt32(AC_FLAG_LAYER2_READY |
                                            AC_FLAG_IP4_READY))
        profile = ac.profile
        profile.timestamp = time.time()
        profile.autoconnect_retries = 4
        self.activation = None
        self.manager.set(NM_IFACE, ActivatingConnection=ROOT)
        self.update_global_state()
        _log(f'{profile.id!r} activated, {address}/{prefix}')
        self.kick_scan()

    def _fail(self, ac, reason):
        '''The device fails with @reason, then goes back to DISCONNECTED;
        the active connection reports DEVICE_DISCONNECTED, as
        NetworkManager's activation request does for every device
        failure.'''
        dev = ac.device
        profile = ac.profile
        dev.set_state(FAILED, reason)
        ac.set_state(AC_DEACTIVATED, AC_REASON_DEVICE_DISCONNECTED)
        if reason == REASON_NO_SECRETS:
            profile.autoconnect_blocked = True
        else:
            profile.autoconnect_retries -= 1
            if profile.autoconnect_retries <= 0:
                profile.autoconnect_blocked = True
        _log(f'{profile.id!r} failed (reason {reason})')
        yield self.step_ms
        self._to_disconnected(dev, ac, REASON_NONE)
        self.activation = None
        self.schedule_autoconnect()

    def _link_lost(self, reason):
        '''The joined network is gone: after the supplicant's link
        timeout NetworkManager fails the device and drops the AP.'''
        dev = self.wifi
        ac = self.active_on(dev)
        if not ac or dev.state != ACTIVATED or ac.profile.is_hotspot:
            return

        def steps():
            yield self.step_ms * 2
            self._clear_current_ap(dev)
            yield from self._fail(ac, reason)

        self.activation = Steps(steps())

    def _clear_current_ap(self, dev):
        '''Drops the current AP; one that left the air (or our own
        hotspot) disappears from the list with it.'''
        ap_path = dev.get(WIRELESS_IFACE, 'ActiveAccessPoint')
        current = next((a for a in dev.aps if a.path == ap_path), None)
        dev.set(WIRELESS_IFACE, ActiveAccessPoint=ROOT,
                Mode=dbus.UInt32(MODE_INFRA))
        if current and current.net not in self.networks:
            self._remove_ap(current)

    def _to_disconnected(self, dev, ac, reason):
        ip4 = dev.ip4
        dev.ip4 = None
        if isinstance(dev, WifiDevice):
            self._clear_current_ap(dev)
        dev.set_state(DISCONNECTED, reason, ActiveConnection=ROOT,
                      Ip4Config=ROOT, IpInterface=dbus.String(''),
                      InterfaceFlags=dbus.UInt32(0x1))
        if ac:
            self._forget_active(ac)
        if ip4:
            self.unexport(ip4)
        self.update_global_state()
        self.kick_scan()

    def _forget_active(self, ac):
        '''Drops every reference to @ac, then the object itself.'''
        if ac in self.actives:
            self.actives.remove(ac)
        self.manager.set(NM_IFACE, ActiveConnections=_paths(self.actives))
        if self.manager.get(NM_IFACE, 'ActivatingConnection') == ac.path:
            self.manager.set(NM_IFACE, ActivatingConnection=ROOT)
        self.update_global_state()
        self.unexport(ac)
        if ac.profile.flags & CONN_FLAG_VOLATILE:
            self.delete_profile(ac.profile)

    def _deactivation_steps(self, ac, reason):
        dev = ac.device
        dev.set_state(DEACTIVATING, reason)
        ac.set_state(AC_DEACTIVATING, AC_REASON_UNKNOWN)
        yield self.step_ms
        ac.set_state(AC_DEACTIVATED, AC_REASON_DEVICE_DISCONNECTED)
        self._to_disconnected(dev, ac, reason)

    def _deactivate(self, ac, reason):
        if self.activation:
            self.activation.cancel()
            self.activation = None
        if ac.device.state in (FAILED, DISCONNECTED):
            self._forget_active(ac)
            return

        def steps():
            yield from self._deactivation_steps(ac, reason)
            self.activation = None
            if reason != REASON_USER_REQUESTED:
                self.schedule_autoconnect()

        self.activation = Steps(steps())

    def deactivate_path(self, path):
        ac = next((a for a in self.actives if a.path == path), None)
        if not ac or ac.state >= AC_DEACTIVATING:
            raise _manager_error('ConnectionNotActive',
                                 'The connection was not active.')
        # a user deactivation blocks the profile's autoconnect
        ac.profile.autoconnect_blocked = True
        self._deactivate(ac, REASON_USER_REQUESTED)

    def device_disconnect(self, dev):
        ac = self.active_on(dev)
        if not ac:
            raise _device_error('NotActive',
                                'This device is not active')
        dev.set(DEVICE_IFACE, Autoconnect=dbus.Boolean(False))
        self._deactivate(ac, REASON_USER_REQUESTED)

    def drop_connection(self, reason):
        self._link_lost(reason)

    def _abort_device(self, dev, state, reason):
        if self.activation:
            self.activation.cancel()
            self.activation = None
        ac = self.active_on(dev)
        if ac:
            ac.set_state(AC_DEACTIVATED, AC_REASON_DEVICE_DISCONNECTED)
        self._to_disconnected(dev, ac, reason)
        dev.set_state(state, reason)

    def update_global_state(self):
        activated = [a for a in self.actives if a.state == AC_ACTIVATED]
        infra = [a for a in activated if not a.profile.is_hotspot]
        if infra:
            state, connectivity = NM_STATE_CONNECTED_GLOBAL, \
                CONNECTIVITY_FULL
        elif activated:
            state, connectivity = NM_STATE_CONNECTED_LOCAL, \
                CONNECTIVITY_NONE
        elif self.actives:
            state, connectivity = NM_STATE_CONNECTING, CONNECTIVITY_NONE
        else:
            state, connectivity = NM_STATE_DISCONNECTED, CONNECTIVITY_NONE
        primary = infra[0] if infra else None
        old = int(self.manager.get(NM_IFACE, 'State'))
        self.manager.set(
            NM_IFACE, State=dbus.UInt32(state),
            Connectivity=dbus.UInt32(connectivity),
            PrimaryConnection=_path(primary),
            PrimaryConnectionType=dbus.String(
                '802-11-wireless' if primary else ''))
        if old != state:
            self.emit(NM_PATH, NM_IFACE, 'StateChanged', 'u',
                      dbus.UInt32(state))

    # -- NetworkManager's own autoconnect ---------------------------------

    def schedule_autoconnect(self):
        if not self.autoconnect_enabled or self.autoconnect_source or \
                self.down:
            return
        self.autoconnect_source = GLib.timeout_add(
            max(self.step_ms, 1), self._autoconnect)

    def _autoconnect(self):
        self.autoconnect_source = None
        dev = self.wifi
        if not dev or dev.state != DISCONNECTED or self.activation or \
                not dev.get(DEVICE_IFACE, 'Autoconnect') or \
                not self.wireless_enabled:
            return False
        candidates = []
        for profile in self.profiles:
            s_con = profile.settings['connection']
            if not s_con.get('autoconnect', True) or \
                    profile.autoconnect_blocked:
                continue
            if profile.is_hotspot:
                candidates.append((profile, None))
                continue
            ap = next((a for a in self.find_aps(profile.ssid)
                       if _ap_accepts(a, profile.settings) is None), None)
            if ap:
                candidates.append((profile, ap))
        if not candidates:
            return False
        candidates.sort(key=lambda c: (
            int(c[0].settings['connection'].get('autoconnect-priority', 0)),
            c[0].timestamp), reverse=True)
        profile, ap = candidates[0]
        _log(f'autoconnecting {profile.id!r}')
        self._start_activation(profile, dev, ap)
        return False

    # -- NetworkManager restarts ------------------------------------------

    def restart(self, down_ms):
        _log('NetworkManager stops')
        self.teardown()
        self.down = True
        self.bus.release_name(BUS_NAME)

        def come_back():
            self.down = False
            self.wifi = None
            self.build()
            self.bus.request_name(BUS_NAME, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
            _log('NetworkManager is back')
            return False

        GLib.timeout_add(max(int(down_ms), 0), come_back)


# --- the control object --------------------------------------------------


class Control(dbus.service.Object):
    '''Scripts scenarios: com.distiller.NetworkManagerDouble.

    SSIDs are byte arrays; a network spec (AddAccessPoint) takes the keys
    of the scenario's "networks" entries, with "ssid" as bytes or text.
    '''

    methods = {}
    interface = None

    def __init__(self, model):
        self.model = model
        super().__init__(model.bus, CONTROL_PATH)

    @dbus.service.method(CONTROL_IFACE, in_signature='a{sv}',
                         out_signature='o', byte_arrays=True)
    def AddAccessPoint(self, spec):
        spec = {str(k): (bytes(v) if isinstance(v, dbus.ByteArray) else v)
                for k, v in spec.items()}
        for key in ('strength', 'frequency', 'max_bitrate'):
            if key in spec:
                spec[key] = int(spec[key])
        try:
            ap = self.model.add_network(spec)
        except (KeyError, ValueError) as e:
            raise NMError(CONTROL_IFACE + '.InvalidArgs', str(e)) from None
        return _path(ap)

    @dbus.service.method(CONTROL_IFACE, in_signature='ay',
                         out_signature='', byte_arrays=True)
    def RemoveAccessPoint(self, ssid):
        self.model.remove_network(bytes(ssid))

    @dbus.service.method(CONTROL_IFACE, in_signature='ayu',
                         out_signature='', byte_arrays=True)
    def SetStrength(self, ssid, strength):
        self.model.set_strength(bytes(ssid), int(strength))

    @dbus.service.method(CONTROL_IFACE, in_signature='ayss',
                         out_signature='', byte_arrays=True)
    def SetBehaviour(self, ssid, behaviour, psk):
        net = self.model.find_network(bytes(ssid))
        if not net:
            raise NMError(CONTROL_IFACE + '.UnknownNetwork',
                          f'No network {_ssid_text(ssid)!r}')
        if behaviour not in BEHAVIOURS:
            raise NMError(CONTROL_IFACE + '.InvalidArgs',
                          f'Unknown behaviour {behaviour!r}')
        net['behaviour'] = str(behaviour)
        net['psk'] = str(psk) if psk else None

    @dbus.service.method(CONTROL_IFACE, in_signature='u', out_signature='')
    def SetStepDelay(self, ms):
        self.model.step_ms = int(ms)

    @dbus.service.method(CONTROL_IFACE, in_signature='u', out_signature='')
    def DropConnection(self, reason):
        self.model.drop_connection(int(reason))

    @dbus.service.method(CONTROL_IFACE, in_signature='u', out_signature='')
    def Restart(self, down_ms):
        self.model.restart(int(down_ms))

    @dbus.service.method(CONTROL_IFACE, in_signature='ss',
                         out_signature='o')
    def AddWifiDevice(self, iface, hw_address):
        return _path(self.model.add_wifi_device(str(iface),
                                                str(hw_address)))

    @dbus.service.method(CONTROL_IFACE, in_signature='', out_signature='')
    def RemoveWifiDevice(self):
        self.model.remove_wifi_device()

    @dbus.service.method(CONTROL_IFACE, in_signature='b', out_signature='')
    def SetWirelessEnabled(self, enabled):
        self.model.set_wireless_enabled(bool(enabled))

    @dbus.service.method(CONTROL_IFACE, in_signature='', out_signature='as')
    def GetCalls(self):
        return dbus.Array([c[0] for c in self.model.calls], signature='s')

    @dbus.service.method(CONTROL_IFACE, in_signature='s',
                         out_signature='a{sa{sv}}a{sv}')
    def GetLastCall(self, method):
        '''The settings (secrets included) and the other arguments of the
        last call of @method, e.g. "AddAndActivateConnection2".'''
        for name, options, settings in reversed(self.model.calls):
            if name == method:
                return (dbus.Dictionary(
                    {k: dbus.Dictionary(v, signature='sv')
                     for k, v in settings.items()}, signature='sa{sv}'),
                        options)
        raise NMError(CONTROL_IFACE + '.NotCalled',
                      f'{method} was not called')

    @dbus.service.method(CONTROL_IFACE, in_signature='', out_signature='')
    def ClearCalls(self):
        self.model.calls = []

    @dbus.service.method(CONTROL_IFACE, in_signature='', out_signature='as')
    def GetHostnames(self):
        return dbus.Array(self.model.hostnames, signature='s')

    @dbus.service.method(CONTROL_IFACE, in_signature='',
                         out_signature='a{sv}')
    def GetState(self):
        '''A summary for assertions: device state, mode, whether a scan
        request waits, the active profile, the number of profiles.'''
        model = self.model
        dev = model.wifi
        out = {'running': dbus.Boolean(not model.down),
               'profiles': dbus.UInt32(len(model.profiles))}
        if dev:
            ac = model.active_on(dev)
            out.update({
                'device_state': dbus.UInt32(dev.state),
                'mode': dbus.UInt32(dev.mode),
                'scan_pending': dbus.Boolean(dev.scan_pending),
                'last_scan': dev.get(WIRELESS_IFACE, 'LastScan'),
                'active_id': dbus.String(ac.profile.id if ac else ''),
            })
        return dbus.Dictionary(out, signature='sv')


def _load_parameters(parameters):
    params = {}
    path = parameters.get('scenario')
    if path:
        with open(path, encoding='utf-8') as f:
            params.update(json.load(f))
    params.update({k: v for k, v in parameters.items() if k != 'scenario'})
    return params


def load(mock, parameters):
    '''dbusmock's entry point: builds NetworkManager on the main object's
    connection and answers GetManagedObjects from our own objects.'''
    bus = mock.bus_name.get_bus()
    model = Model(bus, _load_parameters(parameters or {}))
    mock.AddMethod(OM_IFACE, 'GetManagedObjects', '', 'a{oa{sa{sv}}}',
                   lambda _self: model.managed_objects())
    mock.nm_model = model
    mock.nm_control = Control(model)
    mock.nm_control_name = dbus.service.BusName(CONTROL_NAME, bus)
    _log(f'ready: {len(model.networks)} networks, '
         f'{len(model.profiles)} profiles, step {model.step_ms} ms')
