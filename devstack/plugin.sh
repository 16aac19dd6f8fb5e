#!/bin/bash
#
# plugin.sh - DevStack plugin for nova-miglock
#
# Stack phases and what runs in each:
#
#   stack install      install_nova_miglock
#   stack post-config  configure_nova_miglock, init_nova_miglock
#   stack extra        start_nova_miglock
#   stack test-config  configure_nova_miglock_tests
#   unstack            stop_nova_miglock
#   clean              cleanup_nova_miglock

# Save trace setting
_XTRACE_NOVA_MIGLOCK=$(set +o | grep xtrace)
set -o xtrace

NOVA_MIGLOCK_MANAGE="nova-miglock-manage --config-file $NOVA_CONF"
NOVA_MIGLOCK_MANAGE+=" --config-file $NOVA_MIGLOCK_CONF"

function install_nova_miglock {
    setup_develop "$NOVA_MIGLOCK_DIR"
    if is_service_enabled miglock-compute; then
        # The host agent talks to libvirtd; devstack's libvirt layer has
        # installed libvirt-dev for Nova already.
        pip_install libvirt-python
    fi
}

function configure_nova_miglock {
    local connection
    connection=$(database_connection_url "$NOVA_MIGLOCK_DB_NAME")

    # Nova's own files: filters in api-paste.ini, the scheduler filter and
    # versioned notifications in nova.conf. The editing lives in Python.
    $NOVA_MIGLOCK_MANAGE configure-nova --api-paste "$NOVA_API_PASTE_INI" \
        --nova-conf "$NOVA_CONF" --set-store "$connection"
    if [[ -f "$NOVA_CPU_CONF" && "$NOVA_CPU_CONF" != "$NOVA_CONF" ]]; then
        iniset "$NOVA_CPU_CONF" miglock_store connection "$connection"
    fi
    iniset "$NOVA_CONF" miglock guest_locks "$NOVA_MIGLOCK_GUEST_LOCKS"

    # Our own services.
    sudo install -d -o "$STACK_USER" "$(dirname "$NOVA_MIGLOCK_CONF")"
    touch "$NOVA_MIGLOCK_CONF"
    iniset "$NOVA_MIGLOCK_CONF" miglock_store connection "$connection"
    iniset_rpc_backend nova "$NOVA_MIGLOCK_CONF" DEFAULT
    iniset "$NOVA_MIGLOCK_CONF" oslo_messaging_notifications driver \
        messagingv2
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova auth_type password
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova username admin
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova password "$ADMIN_PASSWORD"
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova project_name admin
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova user_domain_name Default
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova project_domain_name Default
    iniset "$NOVA_MIGLOCK_CONF" miglock_nova region_name "$REGION_NAME"
    iniset "$NOVA_MIGLOCK_CONF" miglock_compute libvirt_uri qemu:///system
}

function init_nova_miglock {
    recreate_database "$NOVA_MIGLOCK_DB_NAME"
    $NOVA_MIGLOCK_MANAGE db sync
}

function start_nova_miglock {
    if is_service_enabled miglock-compute && is_service_enabled n-cpu; then
        if [[ "$NOVA_MIGLOCK_HOOK" == "True" ]]; then
            sudo "$(command -v nova-miglock-manage)" \
                --config-file "$NOVA_MIGLOCK_CONF" hook install \
                --pid-file /run/libvirtd.pid
        fi
        run_process miglock-compute \
            "$(command -v nova-miglock-compute) --config-file $NOVA_CONF \
            --config-file $NOVA_MIGLOCK_CONF" root root
    fi
    if is_service_enabled miglock-listener; then
        run_process miglock-listener \
            "$(command -v nova-miglock-listener) --config-file $NOVA_CONF \
            --config-file $NOVA_MIGLOCK_CONF"
    fi
}

function configure_nova_miglock_tests {
    # The integration tests need only a cloud in clouds.yaml, which
    # devstack writes; say how to run them.
    echo "nova-miglock integration tests: cd $NOVA_MIGLOCK_DIR &&"
    echo "  OS_CLOUD=devstack-admin python -m pytest tests/integration"
}

function stop_nova_miglock {
    stop_process miglock-listener
    stop_process miglock-compute
}

function cleanup_nova_miglock {
    if [[ "$NOVA_MIGLOCK_HOOK" == "True" ]] && \
            command -v nova-miglock-manage >/dev/null; then
        sudo "$(command -v nova-miglock-manage)" \
            --config-file "$NOVA_MIGLOCK_CONF" hook uninstall || true
    fi
    rm -f "$NOVA_MIGLOCK_CONF"
}

if is_service_enabled miglock-listener miglock-compute; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing nova-miglock"
        install_nova_miglock
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring nova-miglock"
        configure_nova_miglock
        init_nova_miglock
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting nova-miglock"
        start_nova_miglock
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        configure_nova_miglock_tests
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_nova_miglock
    fi
    if [[ "$1" == "clean" ]]; then
        cleanup_nova_miglock
    fi
fi

# Restore xtrace
$_XTRACE_NOVA_MIGLOCK
